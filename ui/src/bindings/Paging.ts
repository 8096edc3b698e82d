// Generated from crates/core/src/store/record.rs. Do not edit.

/** The most items one page of a list may hold; a larger limit is refused. */
export const MAX_PAGE = 1000;
