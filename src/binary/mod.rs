pub mod go;
pub mod rust;
