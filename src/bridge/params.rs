//! The params every bridge kind shares — where the component is and how long to wait for
//! it, and for the WebSocket kinds the conversation's settings — read once, checked once.
//! A kind's params stay one flat YAML mapping: the shared parts take their keys out of it
//! and the kind reads what is left. (serde's `flatten` would read the same shape, but
//! cannot refuse unknown keys, and a typo must not be silently ignored.)

use std::time::Duration;

use serde::Deserialize;
use serde::de::{DeserializeOwned, Visitor};

use super::session::Dialogue;
use super::{Target, check_server_name, defaults, tls};
use crate::engine::kind::{de_duration, params};

/// A shared part of a bridge kind's params, checked when the profile is loaded.
pub trait Part: DeserializeOwned {
    fn check(&self) -> Result<(), String>;
}

/// The component's address and the waits to reach it.
#[derive(Deserialize, Clone, Debug)]
pub struct Connection {
    #[serde(default = "defaults::host")]
    pub host: String,
    #[serde(default = "defaults::port")]
    pub port: u16,
    #[serde(default = "defaults::sni")]
    pub sni: String,
    /// `Host:` of the request or upgrade; by default `<sni>:<port>`, as a browser sends it.
    #[serde(default)]
    pub host_header: Option<String>,
    #[serde(default = "defaults::connect", deserialize_with = "de_duration")]
    pub connect_timeout: Duration,
    #[serde(default = "defaults::handshake", deserialize_with = "de_duration")]
    pub handshake_timeout: Duration,
}

impl Connection {
    pub fn target(&self) -> Target {
        Target {
            host: self.host.clone(),
            port: self.port,
        }
    }

    pub fn waits(&self) -> tls::Waits {
        tls::Waits {
            connect: self.connect_timeout,
            handshake: self.handshake_timeout,
        }
    }

    pub fn host_header(&self) -> String {
        self.host_header
            .clone()
            .unwrap_or_else(|| format!("{}:{}", self.sni, self.port))
    }
}

impl Part for Connection {
    fn check(&self) -> Result<(), String> {
        check_server_name(&self.sni)
    }
}

/// The WebSocket upgrade and the replies to wait for, as the eCPA page talks to the component.
#[derive(Deserialize, Clone, Debug)]
pub struct Conversation {
    /// `Origin:` of the upgrade: the page the browser is on. `null` sends none.
    #[serde(default = "default_origin")]
    pub origin: Option<String>,
    #[serde(default = "default_path")]
    pub path: String,
    /// The largest reply accepted; a `GetBasic` reply is well under 100 bytes.
    #[serde(default = "default_max_frame")]
    pub max_frame: usize,
    /// Wait for each answer (the upgrade and every command). The real `GetBasic` takes
    /// about 0.3 s with a card.
    #[serde(default = "default_reply", deserialize_with = "de_duration")]
    pub reply_timeout: Duration,
}

fn default_origin() -> Option<String> {
    Some("https://ecpa.dgpa.gov.tw".into())
}
fn default_path() -> String {
    "/echo".into()
}
fn default_max_frame() -> usize {
    64 * 1024
}
fn default_reply() -> Duration {
    Duration::from_secs(3)
}

impl Conversation {
    pub fn dialogue(&self, conn: &Connection) -> Dialogue {
        Dialogue {
            path: self.path.clone(),
            host_header: conn.host_header(),
            origin: self.origin.clone(),
            reply_timeout: self.reply_timeout,
            max_frame: self.max_frame,
        }
    }
}

impl Part for Conversation {
    fn check(&self) -> Result<(), String> {
        check_path(&self.path)
    }
}

/// A WebSocket kind's params: where the component is, the conversation, and the kind's own `K`.
#[derive(Clone, Debug)]
pub struct Ws<K> {
    pub conn: Connection,
    pub talk: Conversation,
    pub own: K,
}

impl<K: DeserializeOwned> Ws<K> {
    pub fn parse(v: &serde_yaml::Value) -> Result<Ws<K>, String> {
        let mut keys = Keys::new(v)?;
        Ok(Ws {
            conn: keys.take()?,
            talk: keys.take()?,
            own: keys.own()?,
        })
    }
}

/// Refuses a request path a browser could not send, when the profile is loaded.
pub fn check_path(path: &str) -> Result<(), String> {
    if path.starts_with('/') {
        Ok(())
    } else {
        Err(format!("`path` must start with `/`, not `{path}`"))
    }
}

/// One kind's params mapping, read part by part.
pub struct Keys {
    rest: serde_yaml::Mapping,
    taken: Vec<&'static str>,
}

impl Keys {
    pub fn new(v: &serde_yaml::Value) -> Result<Keys, String> {
        match v {
            serde_yaml::Value::Null => Ok(Keys {
                rest: Default::default(),
                taken: Vec::new(),
            }),
            serde_yaml::Value::Mapping(m) => Ok(Keys {
                rest: m.clone(),
                taken: Vec::new(),
            }),
            _ => Err("params must be a mapping of names to values".into()),
        }
    }

    /// The shared part `P`, its keys taken out of the mapping.
    pub fn take<P: Part>(&mut self) -> Result<P, String> {
        let names = field_names::<P>();
        let mut mine = serde_yaml::Mapping::new();
        for name in names {
            if let Some(v) = self.rest.remove(*name) {
                mine.insert((*name).into(), v);
            }
        }
        self.taken.extend_from_slice(names);
        let part: P = params(&serde_yaml::Value::Mapping(mine))?;
        part.check()?;
        Ok(part)
    }

    /// The kind's own params from the keys left; a key nothing reads is refused, naming it
    /// and every key the kind accepts, as serde words it for one struct.
    pub fn own<K: DeserializeOwned>(self) -> Result<K, String> {
        let own = field_names::<K>();
        if let Some(unknown) = self
            .rest
            .keys()
            .filter_map(|k| k.as_str())
            .find(|k| !own.contains(k))
        {
            let expected: Vec<String> = self
                .taken
                .iter()
                .chain(own)
                .map(|k| format!("`{k}`"))
                .collect();
            return Err(format!(
                "unknown field `{unknown}`, expected one of {}",
                expected.join(", ")
            ));
        }
        params(&serde_yaml::Value::Mapping(self.rest))
    }
}

/// The keys a derived `Deserialize` struct reads: serde hands them to the deserializer, so
/// one that only listens for them learns them without a value to read.
fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    match T::deserialize(Names) {
        Err(Found(Some(fields))) => fields,
        _ => &[],
    }
}

struct Names;

#[derive(Debug)]
struct Found(Option<&'static [&'static str]>);

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a struct")
    }
}

impl std::error::Error for Found {}

impl serde::de::Error for Found {
    fn custom<M: std::fmt::Display>(_: M) -> Found {
        Found(None)
    }
}

impl<'de> serde::Deserializer<'de> for Names {
    type Error = Found;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Found> {
        Err(Found(None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Found> {
        Err(Found(Some(fields)))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// In a simulated world (the demo), a bridge kind talks to the world's fake component.
pub fn point_at_bridge(
    w: &crate::engine::kind::StandIns,
) -> Vec<(&'static str, serde_yaml::Value)> {
    vec![("port", w.bridge_port.into())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Own {
        #[serde(default)]
        cross_check: Option<String>,
    }

    fn read(yaml: &str) -> Result<(Connection, Conversation, Own), String> {
        let p = Ws::<Own>::parse(&serde_yaml::from_str(yaml).unwrap())?;
        Ok((p.conn, p.talk, p.own))
    }

    #[test]
    fn one_flat_mapping_feeds_every_part() {
        let (conn, talk, own) = read("{host: '::1', port: 8443, sni: localhost, origin: null, reply_timeout: 500ms, cross_check: card}").unwrap();
        assert_eq!(
            (conn.target().to_string(), conn.host_header()),
            ("[::1]:8443".to_string(), "localhost:8443".to_string())
        );
        assert_eq!(
            (talk.origin, talk.path.as_str(), talk.reply_timeout),
            (None, "/echo", Duration::from_millis(500))
        );
        assert_eq!(own.cross_check.as_deref(), Some("card"));
        let (conn, talk, own) = read("~").unwrap();
        assert_eq!(
            (
                conn.target().to_string(),
                conn.connect_timeout,
                talk.origin.as_deref()
            ),
            (
                "127.0.0.1:7777".to_string(),
                defaults::connect(),
                Some("https://ecpa.dgpa.gov.tw")
            )
        );
        assert!(own.cross_check.is_none());
    }

    #[test]
    fn an_unknown_key_is_named_with_every_accepted_one() {
        let e = read("{host: 127.0.0.1, cross_chek: card}").unwrap_err();
        assert!(
            e.starts_with("unknown field `cross_chek`, expected one of `host`, `port`"),
            "{e}"
        );
        assert!(
            e.contains("`origin`") && e.ends_with("`cross_check`"),
            "{e}"
        );
    }

    #[test]
    fn shared_parts_are_checked_when_read() {
        assert!(
            read("{sni: 'not a name'}")
                .unwrap_err()
                .contains("not a valid TLS server name")
        );
        assert_eq!(
            read("{path: echo}").unwrap_err(),
            "`path` must start with `/`, not `echo`"
        );
        assert!(read("{port: many}").is_err());
        assert!(read("[1, 2]").is_err());
    }
}
