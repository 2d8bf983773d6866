//! The `--device` flag shared by `train` and `generate`: `auto`, `cpu`, `cuda` or `cuda:N`.
//! Its syntax ([`DeviceSpec`]) is checked without libtorch, so that the orchestrator can refuse
//! a misspelt device before any stage runs; whether the device exists is a question for
//! libtorch ([`parse_device`]).

use std::str::FromStr;

/// A device as written on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceSpec {
    /// CUDA when libtorch sees a GPU, the CPU otherwise.
    Auto,
    Cpu,
    /// The CUDA device with this index (`cuda` is `cuda:0`).
    Cuda(usize),
}

impl FromStr for DeviceSpec {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, String> {
        match spec {
            "auto" => Ok(DeviceSpec::Auto),
            "cpu" => Ok(DeviceSpec::Cpu),
            "cuda" => Ok(DeviceSpec::Cuda(0)),
            other => other
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(DeviceSpec::Cuda)
                .ok_or_else(|| format!("--device {spec}: expected auto, cpu, cuda or cuda:N")),
        }
    }
}

/// Parses a device spec and checks that libtorch has the device; the error is a message naming
/// the flag and the fix.
#[cfg(feature = "torch")]
pub fn parse_device(spec: &str) -> Result<tch::Device, String> {
    let cuda = |n: usize| {
        if !tch::Cuda::is_available() {
            return Err(format!(
                "--device {spec}: CUDA is not available on this machine (libtorch sees no GPU); use --device cpu or auto"
            ));
        }
        let count = tch::Cuda::device_count() as usize;
        if n >= count {
            return Err(format!(
                "--device {spec}: there are {count} CUDA devices (0..{count})"
            ));
        }
        Ok(tch::Device::Cuda(n))
    };
    match spec.parse::<DeviceSpec>()? {
        DeviceSpec::Auto => Ok(tch::Device::cuda_if_available()),
        DeviceSpec::Cpu => Ok(tch::Device::Cpu),
        DeviceSpec::Cuda(n) => cuda(n),
    }
}
