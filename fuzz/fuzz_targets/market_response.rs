//! Marketplace answers on arbitrary bytes: every decoding the HTTP client
//! does (`bidwell_marketplace::decode_every_way`: pages of bids, milestones
//! and jobs, and single records) must accept or refuse, never panic, and
//! never accept a page with more items than asked or a field out of
//! bounds. The first byte picks the `limit` the page was asked with.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (limit, body) = match data.split_first() {
        Some((first, rest)) => (u32::from(*first), rest),
        None => (0, data),
    };
    bidwell_marketplace::decode_every_way(body, limit);
});
