//! Whether a screenshot shows anything: a page that failed to render is one flat colour.

use std::path::Path;

/// How many distinct colours a PNG has (counting stops at `enough`): a blank page has one.
pub(crate) fn distinct_colours(path: &Path, enough: usize) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).expect("the screenshot")));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane size")];
    let frame = reader.next_frame(&mut pixels).expect("the PNG decodes");
    let step = frame.color_type.samples();
    let mut seen = std::collections::HashSet::new();
    for pixel in pixels[..frame.buffer_size()].chunks_exact(step) {
        seen.insert(pixel.to_vec());
        if seen.len() >= enough {
            break;
        }
    }
    seen.len()
}
