//! Interpreters: what the runtime of a language brings besides its ELF
//! closure. Python and Node have their own modules; Java is small enough
//! to live here.

use super::{Cx, Part, Sure};
use crate::tree::NodeId;

pub use super::node::run as node;
pub use super::python::run as python;

/// A JDK's or JRE's runtime part: `bin/java`, `lib/`, `conf/` of the
/// installation (not `javac`, `jmods`, `include`), and the jar or class
/// path the command names.
pub fn java(cx: &mut Cx, java: NodeId, argv: &[Vec<u8>]) {
    let bin = cx.tree.node(java).parent;
    let home = cx.tree.node(bin).parent;
    let home_path = cx.tree.path_of(home);
    for dir in [&b"lib"[..], b"conf", b"release"] {
        let p = [&b"/"[..], &home_path, b"/", dir].concat();
        cx.add(&p, Part::Runtime, Sure::Inferred, "the Java runtime");
    }
    let mut args = argv.iter().skip(1);
    while let Some(a) = args.next() {
        match &a[..] {
            b"-jar" => {
                if let Some(jar) = args.next() {
                    let jar = jar.clone();
                    if cx
                        .add(&jar, Part::AppCode, Sure::Exact, "java -jar")
                        .is_none()
                    {
                        cx.gap(
                            "missing-command",
                            format!(
                                "the jar {} is not in the image",
                                crate::escape::escape_bytes(&jar)
                            ),
                        );
                    }
                }
                break;
            }
            b"-cp" | b"-classpath" | b"--class-path" => {
                if let Some(cp) = args.next() {
                    for entry in cp.clone().split(|b| *b == b':') {
                        let entry = entry.strip_suffix(b"/*").unwrap_or(entry);
                        if !entry.is_empty() {
                            cx.add(entry, Part::AppCode, Sure::Inferred, "on the class path");
                        }
                    }
                }
            }
            _ => {}
        }
    }
}
