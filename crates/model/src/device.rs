//! The `--device` flag shared by `train` and `generate`: `auto`, `cpu`, `cuda` or `cuda:N`.

/// Parses a device spec; the error is a message naming the flag and the fix.
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
    match spec {
        "auto" => Ok(tch::Device::cuda_if_available()),
        "cpu" => Ok(tch::Device::Cpu),
        "cuda" => cuda(0),
        other => match other.strip_prefix("cuda:").and_then(|n| n.parse().ok()) {
            Some(n) => cuda(n),
            None => Err(format!(
                "--device {spec}: expected auto, cpu, cuda or cuda:N"
            )),
        },
    }
}
