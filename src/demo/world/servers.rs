//! The world's servers on loopback: the fake component (or a closed port), the stand-in
//! for NHI's cloud, the time server and the verification service.

use super::*;

/// The fake bridge (or a closed port where nothing listens), the NHI cloud's stand-in,
/// the time server and the verification service, each on a loopback ephemeral port.
pub(super) fn start_servers(
    spec: &WorldSpec,
    pcsc: Arc<SimPcsc>,
    id: &str,
) -> Result<Servers, String> {
    let generation = CertGeneration::parse(&spec.bridge.certs).ok_or("certificate generation")?;
    let fault = Fault::parse(&spec.bridge.fault).ok_or("fault mode")?;
    let (bridge, certs, bridge_port) = if spec.bridge.listening {
        let reader = (spec.bridge.reader != "first").then(|| spec.bridge.reader.clone());
        let b = FakeBridge::start(BridgeConfig {
            cards: Some(pcsc),
            reader,
            ..BridgeConfig::new(generation, fault)
        })
        .map_err(io_error(id, "fake bridge"))?;
        let (certs, port) = (b.certs().clone(), b.port());
        (Some(b), certs, port)
    } else {
        let certs = generation
            .generate()
            .map_err(|e| format!("certificates: {e}"))?;
        (None, certs, closed_port().map_err(io_error(id, "port"))?)
    };
    let (cloud, cloud_port) = match spec.outbound {
        // A connect succeeds, which is all the outbound check asks of the NHI cloud.
        Reach::Reachable => {
            let c = CloudStandIn::start().map_err(io_error(id, "cloud stand-in"))?;
            let port = c.port();
            (Some(c), port)
        }
        Reach::Unreachable => (None, closed_port().map_err(io_error(id, "port"))?),
    };
    let (time, time_url) = if spec.time_server.reachable {
        let t = TimeServer::start(spec.time_server.skew_minutes * 60)
            .map_err(io_error(id, "time server"))?;
        let url = t.url();
        (Some(t), url)
    } else {
        (
            None,
            format!(
                "http://127.0.0.1:{}/",
                closed_port().map_err(io_error(id, "port"))?
            ),
        )
    };
    let (verifier, verifier_endpoint) = match VerifierAnswer::parse(&spec.verifier.answer) {
        Some(answer) if spec.verifier.config != VerifierSetup::Missing => {
            let v = FakeVerifier::start(VerifierConfig::new(answer))
                .map_err(io_error(id, "verification service"))?;
            let endpoint = v.endpoint();
            (Some(v), endpoint)
        }
        // Nothing listens there: the address still stays on this computer.
        _ => (
            None,
            format!(
                "https://localhost:{}/orgverify1/wsauthgsp.asmx",
                closed_port().map_err(io_error(id, "port"))?
            ),
        ),
    };
    Ok(Servers {
        bridge,
        bridge_port,
        certs,
        cloud,
        cloud_port,
        time,
        time_url,
        verifier,
        verifier_endpoint,
    })
}
