//! Domain primitives shared by every service: money in integer minor units,
//! validators for banking and company identifiers, and the TARGET business-day calendar.
