//! Whatever answers on the bridge port over HTTP: the head parser (bare LF, partial
//! heads), the bounded response reader with and without a body, and the page title.
#![no_main]

use std::time::Duration;

use ecpa_doctor::bridge::http::{self, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(end) = http::head_end(data) {
        assert!(end <= data.len());
    }
    if let Some((head, body_at)) = http::parse_head(data) {
        assert!(body_at <= data.len());
        let _ = (head.header("server"), head.content_length());
    }
    let _ = http::html_title(data);
    // Small limits so the caps and the truncation paths are reached by small inputs.
    let limits = Limits {
        head_max: 512,
        body_max: 256,
    };
    runtime().block_on(async {
        for with_body in [false, true] {
            let mut r = data;
            if let Ok(resp) =
                http::read_response(&mut r, limits, Duration::from_millis(50), with_body).await
            {
                assert!(
                    resp.body.len() <= limits.body_max,
                    "body {} over the cap",
                    resp.body.len()
                );
                let _ = http::html_title(&resp.body);
            }
        }
    });
});

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    })
}
