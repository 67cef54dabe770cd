//! Pagination shared by every listing: validated bounds, never an underflow at `page - 1`.

use serde::Serialize;

/// Largest page of most listings (API.md); chapter lists allow more.
pub const MAX_PER_PAGE: u64 = 100;
pub const MAX_CHAPTERS_PER_PAGE: u64 = 1000;

/// A requested page; construct through the API layer's validation (page ≥ 1, per_page ≥ 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageRequest {
    pub page: u64,
    pub per_page: u64,
}

impl PageRequest {
    pub fn offset(&self) -> u64 {
        self.page.saturating_sub(1).saturating_mul(self.per_page)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    pub total_pages: u64,
}

impl<T> Paged<T> {
    pub fn new(items: Vec<T>, req: PageRequest, total: u64) -> Self {
        Self {
            items,
            page: req.page,
            per_page: req.per_page,
            total,
            total_pages: total.div_ceil(req.per_page.max(1)),
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            per_page: self.per_page,
            total: self.total,
            total_pages: self.total_pages,
        }
    }
}
