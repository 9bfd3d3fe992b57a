//! `shegong coverage import-osm`: reads an OpenStreetMap extract (`.osm.pbf`, or `.osm` XML)
//! into the walking graph of `domain::coverage`. Only ways that can be walked are kept
//! (footways, paths, steps, pedestrian streets and ordinary roads; not motorways, nor ways
//! closed to people on foot). Both formats feed one graph builder, `graph_from_osm`.

use crate::CliError;
use shegong_domain::coverage::{graph_from_osm, walkable, WalkGraph};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Whether tags (key, value pairs) mark a walkable way.
fn walkable_tags<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> bool {
    let (mut highway, mut foot, mut access) = (None, None, None);
    for (k, v) in tags {
        match k {
            "highway" => highway = Some(v),
            "foot" => foot = Some(v),
            "access" => access = Some(v),
            _ => {}
        }
    }
    highway.is_some_and(|h| walkable(h, foot, access))
}

/// Reads a `.osm.pbf` file in two passes: the walkable ways first, then the coordinates of
/// their nodes only (an extract holds many more nodes than its footways use).
pub fn read_pbf(path: &Path) -> Result<WalkGraph, CliError> {
    use osmpbf::{Element, ElementReader};
    let err = |e: osmpbf::Error| CliError::Usage(format!("{}: {e}", path.display()));
    let mut ways: Vec<Vec<i64>> = Vec::new();
    ElementReader::from_path(path)
        .map_err(err)?
        .for_each(|el| {
            if let Element::Way(w) = el {
                if walkable_tags(w.tags()) {
                    ways.push(w.refs().collect());
                }
            }
        })
        .map_err(err)?;
    let wanted: HashSet<i64> = ways.iter().flatten().copied().collect();
    let mut nodes: HashMap<i64, (f64, f64)> = HashMap::with_capacity(wanted.len());
    ElementReader::from_path(path)
        .map_err(err)?
        .for_each(|el| match el {
            Element::Node(n) if wanted.contains(&n.id()) => {
                nodes.insert(n.id(), (n.lat(), n.lon()));
            }
            Element::DenseNode(n) if wanted.contains(&n.id()) => {
                nodes.insert(n.id(), (n.lat(), n.lon()));
            }
            _ => {}
        })
        .map_err(err)?;
    Ok(graph_from_osm(&nodes, &ways))
}

/// A way being read: its node refs and tags.
type OpenWay = (Vec<i64>, Vec<(String, String)>);

/// Reads OpenStreetMap XML (`.osm`), as exported by the editors.
pub fn read_xml(text: &str) -> Result<WalkGraph, CliError> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(text);
    let mut nodes: HashMap<i64, (f64, f64)> = HashMap::new();
    let mut ways: Vec<Vec<i64>> = Vec::new();
    let mut way: Option<OpenWay> = None;
    // Raw values: ids, coordinates and the few tags read never hold escapes.
    let attr = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> Option<String> {
        e.attributes().flatten().find(|a| a.key.as_ref() == name).map(|a| a.value.to_string())
    };
    loop {
        let ev = r.read_event().map_err(|e| CliError::Usage(format!("OSM XML: {e}")))?;
        match ev {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "node" => {
                    let id = attr(&e, "id").and_then(|v| v.parse::<i64>().ok());
                    let lat = attr(&e, "lat").and_then(|v| v.parse::<f64>().ok());
                    let lon = attr(&e, "lon").and_then(|v| v.parse::<f64>().ok());
                    if let (Some(id), Some(lat), Some(lon)) = (id, lat, lon) {
                        nodes.insert(id, (lat, lon));
                    }
                }
                "way" => way = Some((Vec::new(), Vec::new())),
                "nd" => {
                    if let (Some(w), Some(r)) = (way.as_mut(), attr(&e, "ref").and_then(|v| v.parse::<i64>().ok())) {
                        w.0.push(r);
                    }
                }
                "tag" => {
                    if let (Some(w), Some(k), Some(v)) = (way.as_mut(), attr(&e, "k"), attr(&e, "v")) {
                        w.1.push((k, v));
                    }
                }
                _ => {}
            },
            Event::End(e) if e.name().as_ref() == "way" => {
                if let Some((refs, tags)) = way.take() {
                    if walkable_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
                        ways.push(refs);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(graph_from_osm(&nodes, &ways))
}

/// Reads either format, by the file name.
pub fn read(path: &Path) -> Result<WalkGraph, CliError> {
    let name = path.to_string_lossy().to_lowercase();
    if name.ends_with(".osm") || name.ends_with(".xml") {
        let text = std::fs::read_to_string(path)?;
        read_xml(&text)
    } else {
        read_pbf(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_ways_that_can_be_walked_become_the_graph() {
        let xml = r#"<?xml version="1.0"?>
<osm version="0.6">
  <node id="1" lat="22.3000" lon="114.1700"/>
  <node id="2" lat="22.3000" lon="114.1710"/>
  <node id="3" lat="22.3010" lon="114.1710"/>
  <node id="4" lat="22.3100" lon="114.1800"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way>
  <way id="11"><nd ref="3"/><nd ref="4"/><tag k="highway" v="motorway"/></way>
  <way id="12"><nd ref="1"/><nd ref="4"/><tag k="highway" v="service"/><tag k="access" v="private"/></way>
</osm>"#;
        let g = read_xml(xml).unwrap();
        assert_eq!((g.node_count(), g.edge_count()), (3, 2));
        let d = g.multi_source(&[(0, 0.0)], f64::INFINITY);
        // 1 → 2 is about 103 m east, 2 → 3 about 111 m north.
        assert!((d[2] - 214.0).abs() < 3.0, "{d:?}");
    }

    // A tiny protobuf writer, enough to make an `.osm.pbf` file of plain (non-dense) nodes and
    // ways in one uncompressed blob.
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    fn zigzag(v: i64) -> u64 {
        ((v << 1) ^ (v >> 63)) as u64
    }
    fn field_varint(out: &mut Vec<u8>, field: u32, v: u64) {
        varint(out, u64::from(field) << 3);
        varint(out, v);
    }
    fn field_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
        varint(out, (u64::from(field) << 3) | 2);
        varint(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }
    fn packed(values: impl IntoIterator<Item = u64>) -> Vec<u8> {
        let mut out = Vec::new();
        for v in values {
            varint(&mut out, v);
        }
        out
    }

    fn pbf(nodes: &[(i64, f64, f64)], ways: &[(i64, &[i64], &str)]) -> Vec<u8> {
        // String table: "", "highway", then the way types.
        let mut strings: Vec<&str> = vec!["", "highway"];
        for (_, _, kind) in ways {
            if !strings.contains(kind) {
                strings.push(kind);
            }
        }
        let mut table = Vec::new();
        for s in &strings {
            field_bytes(&mut table, 1, s.as_bytes());
        }
        let mut group = Vec::new();
        for (id, lat, lon) in nodes {
            let mut n = Vec::new();
            field_varint(&mut n, 1, zigzag(*id));
            field_varint(&mut n, 8, zigzag((lat * 1e7).round() as i64));
            field_varint(&mut n, 9, zigzag((lon * 1e7).round() as i64));
            field_bytes(&mut group, 1, &n);
        }
        for (id, refs, kind) in ways {
            let mut w = Vec::new();
            field_varint(&mut w, 1, *id as u64);
            field_bytes(&mut w, 2, &packed([1]));
            let v = strings.iter().position(|s| s == kind).unwrap_or(0) as u64;
            field_bytes(&mut w, 3, &packed([v]));
            let mut prev = 0;
            field_bytes(
                &mut w,
                8,
                &packed(refs.iter().map(|r| {
                    let d = r - prev;
                    prev = *r;
                    zigzag(d)
                })),
            );
            field_bytes(&mut group, 3, &w);
        }
        let mut block = Vec::new();
        field_bytes(&mut block, 1, &table);
        field_bytes(&mut block, 2, &group);
        let mut blob = Vec::new();
        field_bytes(&mut blob, 1, &block);
        field_varint(&mut blob, 2, block.len() as u64);
        let mut header = Vec::new();
        field_bytes(&mut header, 1, b"OSMData");
        field_varint(&mut header, 3, blob.len() as u64);
        let mut file = (header.len() as u32).to_be_bytes().to_vec();
        file.extend_from_slice(&header);
        file.extend_from_slice(&blob);
        file
    }

    #[test]
    fn a_pbf_extract_reads_like_its_xml() {
        let nodes = [(1, 22.3000, 114.1700), (2, 22.3000, 114.1710), (3, 22.3010, 114.1710), (4, 22.3100, 114.1800), (5, 22.4, 114.3)];
        let ways: [(i64, &[i64], &str); 2] = [(10, &[1, 2, 3], "footway"), (11, &[3, 4], "motorway")];
        let path = std::env::temp_dir().join(format!("shegong-osm-{}.osm.pbf", std::process::id()));
        std::fs::write(&path, pbf(&nodes, &ways)).unwrap();
        let g = read(&path);
        let _ = std::fs::remove_file(&path);
        let g = g.unwrap();
        assert_eq!((g.node_count(), g.edge_count()), (3, 2), "the motorway and the unused node are left out");
        let d = g.multi_source(&[(0, 0.0)], f64::INFINITY);
        assert!((d[2] - 214.0).abs() < 3.0, "{d:?}");
        assert!(read(Path::new("/nonexistent/x.osm.pbf")).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Any text, and any damage to a real extract, is read or refused; never a panic, and
        /// every edge joins nodes the graph has.
        #[test]
        fn arbitrary_xml_never_panics(text in "[<>/=\"a-z0-9 .\n-]{0,400}") {
            if let Ok(g) = read_xml(&text) {
                proptest::prop_assert!(g.edge_count() <= 2 * text.len());
            }
        }

        #[test]
        fn damaged_xml_extracts_never_panic(cut in 0usize..700, at in 0usize..700, byte in 32u8..127) {
            let mut xml = r#"<?xml version="1.0"?><osm version="0.6"><node id="1" lat="22.3" lon="114.17"/><node id="2" lat="22.3" lon="114.171"/><node id="3" lat="22.301" lon="114.171"/><way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way></osm>"#.as_bytes().to_vec();
            if let Some(b) = xml.get_mut(at) {
                *b = byte;
            }
            xml.truncate(cut);
            let _ = read_xml(&String::from_utf8_lossy(&xml));
        }

        #[test]
        fn arbitrary_pbf_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let dir = std::env::temp_dir().join(format!("shegong-osm-fuzz-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join(format!("{}.osm.pbf", bytes.len()));
            std::fs::write(&path, &bytes).expect("write");
            let _ = read_pbf(&path);
            let _ = std::fs::remove_file(&path);
        }
    }
}
