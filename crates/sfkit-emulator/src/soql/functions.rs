//! The SQL functions the compiled statements call (DISTANCE and friends).

use rusqlite::Connection;

/// Mean radius of the Earth in kilometres (IUGG). UNVERIFIED: Salesforce does not document the
/// model its DISTANCE() uses; a sphere of this radius is within 0.5% of the ellipsoid.
pub(crate) const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Registers the SQL functions compiled queries call, on every connection:
/// `sfkit_distance(lat1, lon1, lat2, lon2, km_per_unit)`, the haversine great-circle distance
/// in the unit (null when any input is null). SQLite evaluates it inside the statement.
pub(crate) fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "sfkit_distance",
        5,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let mut v = [0.0f64; 5];
            for (i, slot) in v.iter_mut().enumerate() {
                match ctx.get::<Option<f64>>(i)? {
                    Some(x) => *slot = x,
                    None => return Ok(None),
                }
            }
            let [lat1, lon1, lat2, lon2, per_unit] = v;
            let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
            let dp = (lat2 - lat1).to_radians();
            let dl = (lon2 - lon1).to_radians();
            let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
            let km = 2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin();
            Ok(Some(km / per_unit))
        },
    )
}
