//! The key that aligns a point of one sweep with its counterpart in another (and with its
//! entry in a noise file): ISL, OSL and the load.

use serde::Serialize;

use crate::model::{Load, Point};

/// (ISL, OSL, concurrency, request rate) of a point; without a concurrency, its max batch size
/// stands in. Points set to a request rate (guidellm's constant or poisson, inference-perf's
/// stages, MLPerf Server) align on it, so each rate meets its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct AlignKey {
    pub isl: Option<u64>,
    pub osl: Option<u64>,
    pub concurrency: Option<u64>,
    /// Only for points without a concurrency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_batch_size: Option<u64>,
    /// The configured request rate, req/s, when the point has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_rate: Option<Rate>,
}

/// A request rate as an ordered, hashable key (its bits), written as the number it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(u64);

impl Rate {
    pub fn new(r: f64) -> Rate {
        Rate(r.to_bits())
    }

    pub fn get(self) -> f64 {
        f64::from_bits(self.0)
    }
}

impl Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.get())
    }
}

impl AlignKey {
    pub fn of(p: &Point) -> AlignKey {
        AlignKey {
            isl: p.isl,
            osl: p.osl,
            concurrency: p.load().and_then(Load::concurrency),
            max_batch_size: p.load().and_then(Load::batch_size),
            request_rate: p.request_rate.map(Rate::new),
        }
    }
}

impl std::fmt::Display for AlignKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let o = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "?".into());
        write!(f, "isl {} osl {} ", o(self.isl), o(self.osl))?;
        match (self.concurrency, self.max_batch_size) {
            (None, Some(bs)) => write!(f, "bs {bs}")?,
            (c, _) => write!(f, "conc {}", o(c))?,
        }
        match self.request_rate {
            Some(r) => write!(f, " rate {}", r.get()),
            None => Ok(()),
        }
    }
}
