//! What machine the figures come from: CPU model and core count (/proc/cpuinfo), memory
//! (/proc/meminfo), GPU (`nvidia-smi`, when there is one) and how busy it was (/proc/loadavg),
//! so that docs/PERFORMANCE.md (and xtask's docs/QUALITY.md) can say how contended the run
//! was.

use std::process::Command;

/// The machine, as read at the start of a run.
#[derive(Debug, Clone)]
pub struct MachineInfo {
    pub cpu_model: String,
    pub logical_cpus: usize,
    pub memory_gib: f64,
    pub gpu: String,
}

impl MachineInfo {
    pub fn read() -> MachineInfo {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        MachineInfo {
            cpu_model: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown CPU".into()),
            logical_cpus: std::thread::available_parallelism().map_or(1, usize::from),
            memory_gib: memory_kib(&meminfo).unwrap_or(0) as f64 / (1 << 20) as f64,
            gpu: gpu().unwrap_or_else(|| "none".into()),
        }
    }
}

/// The first `model name` of /proc/cpuinfo.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, name)| name.trim().to_owned())
}

/// `MemTotal` of /proc/meminfo in KiB.
fn memory_kib(meminfo: &str) -> Option<u64> {
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// GPU names from `nvidia-smi`, when it runs.
fn gpu() -> Option<String> {
    let out = Command::new("nvidia-smi")
        .args(["--query-gpu=name", "--format=csv,noheader"])
        .output()
        .ok()?;
    let names = String::from_utf8_lossy(&out.stdout)
        .trim()
        .replace('\n', ", ");
    (out.status.success() && !names.is_empty()).then_some(names)
}

/// The 1-, 5- and 15-minute load averages now.
pub fn load_average() -> Option<[f64; 3]> {
    parse_load_average(&std::fs::read_to_string("/proc/loadavg").ok()?)
}

fn parse_load_average(text: &str) -> Option<[f64; 3]> {
    let mut fields = text.split_whitespace().map(|f| f.parse::<f64>().ok());
    Some([fields.next()??, fields.next()??, fields.next()??])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_model_memory_and_load() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("AMD EPYC 7B13"));
        assert_eq!(cpu_model("processor : 0\n"), None);
        let meminfo = "MemTotal:       24605372 kB\nMemFree:        1 kB\n";
        assert_eq!(memory_kib(meminfo), Some(24_605_372));
        assert_eq!(
            parse_load_average("7.91 5.02 2.20 9/412 22041\n"),
            Some([7.91, 5.02, 2.20])
        );
        assert_eq!(parse_load_average("7.91\n"), None);
    }
}
