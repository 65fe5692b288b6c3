//! Placeholder until the Go build-info parser lands (branch `gobuild`).
pub const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
pub const WINDOW: usize = 1 << 20;
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GoModule {
    pub path: String,
    pub version: String,
    pub sum: Option<String>,
    pub replace: Option<Box<GoModule>>,
}
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GoBuildInfo {
    pub go_version: String,
    pub path: Option<String>,
    pub main: Option<GoModule>,
    pub deps: Vec<GoModule>,
    pub settings: Vec<(String, String)>,
}
impl GoBuildInfo {
    pub fn parse(
        at_magic: &[u8],
        _read_at: &dyn Fn(u64, usize) -> Option<Vec<u8>>,
    ) -> Result<GoBuildInfo, String> {
        let _ = at_magic;
        Ok(GoBuildInfo {
            go_version: "go?".into(),
            path: None,
            main: None,
            deps: Vec::new(),
            settings: Vec::new(),
        })
    }
    pub fn summary(&self) -> String {
        format!("Go {}", self.go_version.trim_start_matches("go"))
    }
    pub fn weight(&self) -> usize {
        64
    }
}
pub fn find_magic(data: &[u8], base: u64) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&data[from..], MAGIC) {
        let at = from + i;
        if (base + at as u64) % 16 == 0 {
            return Some(at);
        }
        from = at + 1;
    }
    None
}
