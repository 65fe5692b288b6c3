//! Placeholder until the cargo-auditable parser lands (branch `gobuild`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RustPackage {
    pub name: String,
    pub version: String,
    pub source: String,
    pub kind: String,
    pub root: bool,
    pub dependencies: Vec<usize>,
}
pub fn parse_dep_v0(_section: &[u8]) -> Result<Vec<RustPackage>, String> {
    Err("not yet".into())
}
