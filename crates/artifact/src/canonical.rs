//! Canonical JSON: object keys sorted, no whitespace. Stage ids hash this text, so it must not
//! depend on insertion order (serde_json's `preserve_order` may be switched on by any crate).

use serde_json::Value;

/// Serialises `value` with object keys sorted recursively and no insignificant whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_json;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_at_every_depth() {
        let value = json!({"b": 1, "a": {"z": [true, null, {"y": 1.5, "x": "中"}], "c": -2}});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":{"c":-2,"z":[true,null,{"x":"中","y":1.5}]},"b":1}"#
        );
    }
}
