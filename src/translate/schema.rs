//! Cleans client JSON schemas into the subset the upstream accepts, recording every change.
//!
//! The upstream parses tool `parameters` into Google's OpenAPI-subset `Schema` proto, and Claude's
//! VALIDATED mode is stricter still, so anything beyond the kept keywords is a 400 waiting to
//! happen. The cleaner inlines references, flattens unions, turns constraints into prose the
//! model can still follow, and drops the rest. It never looks at property *names*: a property
//! called `format` or `default` is data, not a keyword.

use serde_json::{Map, Value};

/// The only keywords a cleaned schema node keeps, in the order they are written out.
const KEPT: &[&str] = &[
    "type",
    "description",
    "properties",
    "required",
    "items",
    "enum",
];

/// Constraints the upstream rejects as keywords but a model can still honour as prose.
const HINTED: &[&str] = &[
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
];

/// Cleans one tool schema. The second item lists every change as `path: what changed`
/// (for example `properties.path.format: removed`).
pub fn clean_schema(schema: &Value) -> (Value, Vec<String>) {
    let mut cleaner = Cleaner {
        root: schema,
        changes: Vec::new(),
        stack: Vec::new(),
        inlined: 0,
        depth: 0,
    };
    // One copy of the schema, cleaned in place level by level; `root` stays the original, for
    // resolving references.
    let mut out = if schema.is_object() {
        cleaner.node(schema.clone(), "")
    } else {
        cleaner.note("", &format!("not an object schema ({schema}); replaced"));
        Map::new()
    };
    // Function parameters are always an object with a properties map, whatever the client sent.
    if out.get("type").and_then(Value::as_str) != Some("object") {
        let was = out
            .get("type")
            .map_or_else(|| "missing".to_owned(), Value::to_string);
        cleaner.note("type", &format!("forced to object (was {was})"));
        out.insert("type".into(), Value::from("object"));
        if let Some(Value::Array(values)) = out.remove("enum") {
            cleaner.enum_as_hint(&mut out, "enum", &values);
        }
    }
    if !out.get("properties").is_some_and(Value::is_object) {
        cleaner.note("properties", "added (empty)");
        out.insert("properties".into(), Value::Object(Map::new()));
    }
    (Value::Object(canonical_order(out)), cleaner.changes)
}

struct Cleaner<'a> {
    root: &'a Value,
    changes: Vec<String>,
    /// `$ref`s being expanded on the path from the root to the current node (cycle protection).
    stack: Vec<String>,
    /// How deep the node being cleaned sits; inlined references can nest far deeper than the
    /// JSON the client sent, and each level is a stack frame.
    depth: usize,
    /// References inlined so far; a hostile schema (a diamond of `$ref`s) would otherwise
    /// expand exponentially.
    inlined: usize,
}

/// How deep references may nest, and how many may be inlined in one schema.
const MAX_REF_DEPTH: usize = 16;
const MAX_REF_INLINES: usize = 256;
/// Schemas nested deeper than this are cut to a plain object (no real tool needs more).
const MAX_NODE_DEPTH: usize = 48;

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl Cleaner<'_> {
    fn note(&mut self, path: &str, what: &str) {
        let path = if path.is_empty() { "(root)" } else { path };
        self.changes.push(format!("{path}: {what}"));
    }

    /// Cleans one schema node (an object) found at `path`, taking it over: each level is
    /// rebuilt from the node itself, never from a copy of its subtree.
    fn node(&mut self, value: Value, path: &str) -> Map<String, Value> {
        let obj = match value {
            Value::Object(obj) => obj,
            other => {
                self.note(path, &format!("non-object schema {other} replaced by {{}}"));
                return Map::new();
            }
        };
        if self.depth >= MAX_NODE_DEPTH {
            self.note(path, "nesting cut (too deep)");
            let mut cut = Map::new();
            cut.insert("type".into(), Value::from("object"));
            return cut;
        }
        self.depth += 1;
        let cleaned = self.node_within_depth(obj, path);
        self.depth -= 1;
        cleaned
    }

    fn node_within_depth(&mut self, mut m: Map<String, Value>, path: &str) -> Map<String, Value> {
        let pushed = self.expand(&mut m, path);
        self.flatten_unions(&mut m, path);
        self.fix_type(&mut m, path);
        self.fix_enum(&mut m, path);
        self.hint_constraints(&mut m, path);
        m.retain(|key, _| {
            let kept = KEPT.contains(&key.as_str());
            if !kept {
                self.note(&join(path, key), "removed");
            }
            kept
        });
        self.clean_children(&mut m, path);
        self.filter_required(&mut m, path);
        self.stack.truncate(self.stack.len() - pushed);
        canonical_order(m)
    }

    /// Inlines `$ref`s and merges `allOf` branches into `m`, until neither is left. Returns how
    /// many references were pushed on the cycle stack (popped once the node's children are done).
    fn expand(&mut self, m: &mut Map<String, Value>, path: &str) -> usize {
        let mut pushed = 0;
        loop {
            if let Some(reference) = m.remove("$ref") {
                let at = join(path, "$ref");
                let Some(reference) = reference.as_str().map(str::to_owned) else {
                    self.note(&at, "removed (not a string)");
                    continue;
                };
                let name = reference
                    .rsplit('/')
                    .next()
                    .unwrap_or(&reference)
                    .to_owned();
                if self.stack.len() >= MAX_REF_DEPTH || self.inlined >= MAX_REF_INLINES {
                    self.note(&at, &format!("reference {reference} cut (expansion limit)"));
                    append_description(m, &format!("(see: {name})"));
                    m.entry("type").or_insert_with(|| Value::from("object"));
                    continue;
                }
                if self.stack.contains(&reference) {
                    self.note(&at, &format!("cyclic reference {reference} cut"));
                    append_description(m, &format!("(see: {name})"));
                    m.entry("type").or_insert_with(|| Value::from("object"));
                    continue;
                }
                if let Some(Value::Object(def)) = self.resolve(&reference) {
                    merge_into(m, def.clone());
                    self.stack.push(reference.clone());
                    self.inlined += 1;
                    pushed += 1;
                    self.note(&at, &format!("inlined {reference}"));
                } else {
                    self.note(&at, &format!("unresolved {reference}, removed"));
                    append_description(m, &format!("(see: {name})"));
                }
                continue;
            }
            if let Some(all) = m.remove("allOf") {
                let at = join(path, "allOf");
                let Value::Array(branches) = all else {
                    self.note(&at, "removed (not an array)");
                    continue;
                };
                for (i, branch) in branches.into_iter().enumerate() {
                    let Value::Object(mut b) = branch else {
                        continue;
                    };
                    pushed += self.expand(&mut b, &format!("{at}[{i}]"));
                    merge_into(m, b);
                }
                self.note(&at, "merged");
                continue;
            }
            return pushed;
        }
    }

    fn resolve(&self, reference: &str) -> Option<&Value> {
        match reference.strip_prefix('#')? {
            "" => Some(self.root),
            pointer => self.root.pointer(pointer),
        }
    }

    /// Replaces `anyOf`/`oneOf` by the most useful non-null branch (object > array > scalar).
    fn flatten_unions(&mut self, m: &mut Map<String, Value>, path: &str) {
        for key in ["anyOf", "oneOf"] {
            let Some(union) = m.remove(key) else { continue };
            let at = join(path, key);
            let Value::Array(branches) = union else {
                self.note(&at, "removed (not an array)");
                continue;
            };
            // Before the branches are cleaned: a cleaned non-string branch no longer has its enum.
            if let Some(merged) = merged_enum(&branches) {
                merge_into(m, merged);
                self.note(&at, "enum branches merged into one enum");
                continue;
            }
            let mut cleaned: Vec<Map<String, Value>> = branches
                .into_iter()
                .enumerate()
                .map(|(i, b)| self.node(b, &format!("{at}[{i}]")))
                .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if cleaned.is_empty() {
                self.note(&at, "removed (no non-null branch)");
                continue;
            }
            let (best, _) = cleaned
                .iter()
                .enumerate()
                .max_by_key(|(i, b)| (branch_rank(b), std::cmp::Reverse(*i)))
                .expect("cleaned is not empty");
            let chosen = cleaned.swap_remove(best);
            let ty = chosen
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("untyped")
                .to_owned();
            // A branch's own description (often a constraint hint) is kept next to the node's.
            if let (Some(Value::String(own)), Some(Value::String(extra))) =
                (m.get("description"), chosen.get("description"))
                && own != extra
            {
                let joined = format!("{own} {extra}");
                m.insert("description".into(), Value::from(joined));
            }
            merge_into(m, chosen);
            self.note(&at, &format!("reduced to its {ty} branch"));
        }
    }

    fn fix_type(&mut self, m: &mut Map<String, Value>, path: &str) {
        let fixed = match m.get("type") {
            Some(Value::String(t)) => {
                if !t.bytes().any(|c| c.is_ascii_uppercase()) {
                    return;
                }
                let lower = t.to_ascii_lowercase();
                self.note(&join(path, "type"), &format!("lower-cased {t}"));
                Value::from(lower)
            }
            Some(Value::Array(types)) => {
                let first = types
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .find(|t| t != "null")
                    .unwrap_or_else(|| "string".to_owned());
                self.note(
                    &join(path, "type"),
                    &format!("type array reduced to {first}"),
                );
                Value::from(first)
            }
            Some(other) => {
                let what = format!("removed (not a string: {other})");
                self.note(&join(path, "type"), &what);
                m.remove("type");
                // Then inferred as if it had been missing, so cleaning a clean schema changes
                // nothing.
                self.fix_type(m, path);
                return;
            }
            None => {
                let inferred = if m.contains_key("properties") {
                    "object"
                } else if m.contains_key("items") {
                    "array"
                } else {
                    return;
                };
                self.note(&join(path, "type"), &format!("inferred as {inferred}"));
                Value::from(inferred)
            }
        };
        m.insert("type".into(), fixed);
    }

    /// Gemini takes `enum` only on string schemas (any other is a 400 "enum: only allowed for
    /// STRING type") and only with string members (the proto field is a string list). A string
    /// enum is kept, a typeless all-string one becomes a string schema, and every other enum
    /// (and `const`, a one-value enum) becomes a hint in the description.
    fn fix_enum(&mut self, m: &mut Map<String, Value>, path: &str) {
        if let Some(c) = m.remove("const") {
            if m.contains_key("enum") {
                self.note(&join(path, "const"), "removed (enum present)");
            } else {
                self.note(&join(path, "const"), "converted to enum");
                m.insert("enum".into(), Value::Array(vec![c]));
            }
        }
        let Some(values) = m.remove("enum") else {
            return;
        };
        let at = join(path, "enum");
        let Value::Array(values) = values else {
            self.note(&at, "removed (not an array)");
            return;
        };
        // A string schema cannot produce null, so a null member says nothing there.
        let members: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
        let string_schema = match m.get("type").and_then(Value::as_str) {
            Some("string") => !members.is_empty(),
            None if !members.is_empty() && members.iter().all(|v| v.is_string()) => {
                self.note(&join(path, "type"), "set to string (an enum of strings)");
                m.insert("type".into(), Value::from("string"));
                true
            }
            _ => false,
        };
        if !string_schema {
            self.enum_as_hint(m, &at, &values);
            return;
        }
        if members.len() < values.len() {
            self.note(&at, "null dropped");
        }
        if members.iter().any(|v| !v.is_string()) {
            self.note(&at, "values converted to strings");
        }
        let strings = members.into_iter().map(|v| Value::from(scalar_text(v)));
        m.insert("enum".into(), Value::Array(strings.collect()));
    }

    fn enum_as_hint(&mut self, m: &mut Map<String, Value>, at: &str, values: &[Value]) {
        let allowed: Vec<String> = values.iter().map(scalar_text).collect();
        append_description(m, &format!("(allowed: {})", allowed.join(", ")));
        self.note(
            at,
            "moved to description (enum is only allowed on string schemas)",
        );
    }

    fn hint_constraints(&mut self, m: &mut Map<String, Value>, path: &str) {
        let mut hints = Vec::new();
        for key in HINTED {
            let Some(v) = m.remove(*key) else { continue };
            let at = join(path, key);
            if v.is_object() || v.is_array() {
                self.note(&at, "removed (not a scalar)");
            } else {
                hints.push(format!("{key}: {}", scalar_text(&v)));
                self.note(&at, "moved to description");
            }
        }
        if !hints.is_empty() {
            append_description(m, &format!("({})", hints.join(", ")));
        }
    }

    fn clean_children(&mut self, m: &mut Map<String, Value>, path: &str) {
        if m.get("description").is_some_and(|d| !d.is_string()) {
            m.remove("description");
            self.note(&join(path, "description"), "removed (not a string)");
        }
        match m.remove("properties") {
            Some(Value::Object(props)) => {
                // Keys here are property names, never keywords: every one of them survives.
                let props_path = join(path, "properties");
                let cleaned = props
                    .into_iter()
                    .map(|(name, sub)| {
                        let cleaned = self.node(sub, &join(&props_path, &name));
                        (name, Value::Object(cleaned))
                    })
                    .collect();
                m.insert("properties".into(), Value::Object(cleaned));
            }
            Some(_) => self.note(&join(path, "properties"), "removed (not an object)"),
            None => {}
        }
        match m.remove("items") {
            Some(items @ Value::Object(_)) => {
                let cleaned = self.node(items, &join(path, "items"));
                m.insert("items".into(), Value::Object(cleaned));
            }
            Some(Value::Array(tuple)) if !tuple.is_empty() => {
                let at = join(path, "items");
                self.note(&at, "tuple form reduced to its first item schema");
                let first = tuple.into_iter().next().unwrap_or_default();
                m.insert("items".into(), Value::Object(self.node(first, &at)));
            }
            Some(_) => self.note(&join(path, "items"), "removed (not a schema)"),
            None => {}
        }
        if m.get("type").and_then(Value::as_str) == Some("array") && !m.contains_key("items") {
            // Gemini rejects array schemas without an item schema.
            self.note(&join(path, "items"), "added (empty item schema)");
            m.insert("items".into(), Value::Object(Map::new()));
        }
    }

    fn filter_required(&mut self, m: &mut Map<String, Value>, path: &str) {
        let Some(required) = m.remove("required") else {
            return;
        };
        let at = join(path, "required");
        let Value::Array(names) = required else {
            self.note(&at, "removed (not an array)");
            return;
        };
        if names.is_empty() {
            self.note(&at, "removed (empty)");
            return;
        }
        let props = m.get("properties").and_then(Value::as_object);
        let mut kept = Vec::new();
        for name in names {
            match name.as_str() {
                Some(n) if props.is_some_and(|p| p.contains_key(n)) => {
                    if !kept.contains(&name) {
                        kept.push(name);
                    }
                }
                _ => self.note(&at, &format!("dropped {name} (no such property)")),
            }
        }
        if !kept.is_empty() {
            m.insert("required".into(), Value::Array(kept));
        }
    }
}

/// Merges `from` into `to`: existing keys win, except that `properties` and `required` are unions.
fn merge_into(to: &mut Map<String, Value>, from: Map<String, Value>) {
    for (key, value) in from {
        match (key.as_str(), to.get_mut(&key), value) {
            ("properties", Some(Value::Object(existing)), Value::Object(more)) => {
                for (name, schema) in more {
                    existing.entry(name).or_insert(schema);
                }
            }
            ("required", Some(Value::Array(existing)), Value::Array(more)) => {
                for name in more {
                    if !existing.contains(&name) {
                        existing.push(name);
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, value) => {
                to.insert(key, value);
            }
        }
    }
}

/// When every non-null branch is a plain enum of one type (`anyOf: [{const: a}, {const: b}]`),
/// one enum keeps all the choices instead of silently dropping all but one. Works on the
/// branches as the client sent them; `fix_enum` then decides what the upstream can take.
fn merged_enum(branches: &[Value]) -> Option<Map<String, Value>> {
    let rest: Vec<&Value> = branches
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
        .collect();
    if rest.len() < 2 {
        return None;
    }
    let type_of = |b: &Map<String, Value>| match b.get("type") {
        None => Some(None),
        Some(Value::String(t)) => Some(Some(t.to_ascii_lowercase())),
        Some(_) => None,
    };
    let ty = type_of(rest[0].as_object()?)?;
    let mut values = Vec::new();
    for b in rest {
        let b = b.as_object()?;
        if type_of(b)? != ty || b.contains_key("properties") {
            return None;
        }
        let members = match (b.get("const"), b.get("enum")) {
            (Some(c), None) => std::slice::from_ref(c),
            (None, Some(Value::Array(e))) => e.as_slice(),
            _ => return None,
        };
        for v in members {
            if !values.contains(v) {
                values.push(v.clone());
            }
        }
    }
    let mut out = Map::new();
    if let Some(ty) = ty {
        out.insert("type".into(), Value::from(ty));
    }
    out.insert("enum".into(), Value::Array(values));
    Some(out)
}

fn branch_rank(b: &Map<String, Value>) -> u8 {
    match b.get("type").and_then(Value::as_str) {
        Some("object")
            if b.get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| !p.is_empty()) =>
        {
            4
        }
        Some("object") => 3,
        Some("array") => 2,
        Some(_) => 1,
        None => 0,
    }
}

fn append_description(m: &mut Map<String, Value>, hint: &str) {
    let text = match m.get("description").and_then(Value::as_str) {
        Some(d) if !d.trim().is_empty() => format!("{d} {hint}"),
        _ => hint.to_owned(),
    };
    m.insert("description".into(), Value::from(text));
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn canonical_order(mut m: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for key in KEPT {
        if let Some((key, v)) = m.remove_entry(*key) {
            out.insert(key, v);
        }
    }
    out.extend(m);
    out
}

#[cfg(test)]
mod tests;
