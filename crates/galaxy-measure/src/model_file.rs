//! Model files: a small TOML description of a model of several components, or a shorthand name.
//!
//! ```toml
//! # A bulge with free n and an exponential disk sharing one centre.
//! [[component]]
//! name = "bulge"
//! type = "sersic"                 # sersic | exponential | de_vaucouleurs | point | sky
//! sersic_index = { start = 4.0, min = 1.0, max = 6.0 }
//! half_light_radius = 1.5         # a number is a start (arcsec, or pixels without a pixel scale)
//!
//! [[component]]
//! name = "disk"
//! type = "exponential"
//! g1 = { value = 0.0, fixed = true }
//!
//! [centre]                        # optional: the shared centre, pixels from the stamp's centre
//! dx = { start = 0.0, min = -3.0, max = 3.0 }
//! ```
//!
//! A parameter is a number (its start) or a table with `start` (or `value`), `fixed`, `min`, `max` and
//! `prior = [mean, sigma]` (a Gaussian prior: the fit then maximises the posterior in it). A
//! component with `own_centre = true` takes `dx`, `dy` of its own. Anything the file leaves out comes from
//! the image. Mistakes (an unknown type or parameter, two components of one name, a fixed parameter with no
//! value, bounds that exclude the start) are refused with the file's name and the line.

use std::path::Path;

use mle_fit::model_fit::{spec::check_param, ComponentKind, ComponentSpec, ModelSpec, ParamSpec};

use crate::error::MeasureError;

/// The model `text` names: a shorthand (see [`mle_fit::model_fit::SHORTHANDS`]) or a model file's path.
pub fn load_model(text: &str) -> Result<ModelSpec, MeasureError> {
    if let Some(spec) = ModelSpec::shorthand(text) {
        return Ok(spec);
    }
    let path = Path::new(text);
    if !path.exists() {
        let names: Vec<&str> = mle_fit::model_fit::SHORTHANDS.iter().map(|s| s.0).collect();
        return Err(MeasureError::input(format!(
            "--model {text}: neither a model file nor a shorthand ({}, each with an optional +sky)",
            names.join(", ")
        )));
    }
    let source = std::fs::read_to_string(path)
        .map_err(|e| MeasureError::input(format!("{}: cannot read it: {e}", path.display())))?;
    parse_model(&source).map_err(|e| MeasureError::input(format!("{}: {e}", path.display())))
}

/// Parses a model file's text; errors name the line (1-based).
pub fn parse_model(source: &str) -> Result<ModelSpec, String> {
    let table: toml::Table = source.parse().map_err(|e: toml::de::Error| {
        let line = e
            .span()
            .map(|s| line_of(source, s.start))
            .map_or(String::new(), |l| format!("line {l}: "));
        format!("{line}not valid TOML: {}", e.message())
    })?;
    let lines = Lines::new(source);
    for key in table.keys() {
        if key != "component" && key != "centre" && key != "center" {
            return Err(format!(
                "line {}: unknown section {key:?} (a model file has [[component]] and [centre])",
                lines.top_key(key)
            ));
        }
    }
    let components = match table.get("component") {
        Some(toml::Value::Array(list)) => list.as_slice(),
        Some(_) => {
            return Err(format!(
                "line {}: component must be [[component]] tables",
                lines.top_key("component")
            ))
        }
        None => return Err("no [[component]] in the file".into()),
    };
    let mut spec = ModelSpec::default();
    for (index, value) in components.iter().enumerate() {
        let at = |key: &str| lines.component_key(index, key);
        let toml::Value::Table(c) = value else {
            return Err(format!(
                "line {}: a component must be a table",
                lines.component(index)
            ));
        };
        let name = match c.get("name") {
            Some(toml::Value::String(s)) if !s.is_empty() => s.clone(),
            Some(_) => {
                return Err(format!(
                    "line {}: name must be a non-empty string",
                    at("name")
                ))
            }
            None => {
                return Err(format!(
                    "line {}: the component has no name",
                    lines.component(index)
                ))
            }
        };
        if !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        {
            return Err(format!(
                "line {}: name {name:?} must be letters, digits and _ (it prefixes column names)",
                at("name")
            ));
        }
        if spec
            .components
            .iter()
            .any(|o: &ComponentSpec| o.name == name)
        {
            return Err(format!(
                "line {}: a second component named {name:?}",
                at("name")
            ));
        }
        let kind = match c.get("type") {
            Some(toml::Value::String(s)) => ComponentKind::parse(s).ok_or_else(|| {
                format!(
                    "line {}: unknown component type {s:?} (sersic, exponential, de_vaucouleurs, point, sky)",
                    at("type")
                )
            })?,
            _ => return Err(format!("line {}: the component {name:?} has no type", lines.component(index))),
        };
        let mut component = ComponentSpec::new(&name, kind);
        if let Some(own) = c.get("own_centre").or(c.get("own_center")) {
            component.own_centre = own.as_bool().ok_or_else(|| {
                format!(
                    "line {}: own_centre must be true or false",
                    at("own_centre")
                )
            })?;
        }
        for (key, value) in c {
            if ["name", "type", "own_centre", "own_center"].contains(&key.as_str()) {
                continue;
            }
            let centre = component.own_centre && (key == "dx" || key == "dy");
            if !centre && !kind.params().contains(&key.as_str()) {
                return Err(format!(
                    "line {}: a {} component has no parameter {key:?} (it has {}{})",
                    at(key),
                    kind.name(),
                    kind.params().join(", "),
                    if kind.has_centre() {
                        "; dx, dy with own_centre = true"
                    } else {
                        ""
                    }
                ));
            }
            let param = param_spec(value).map_err(|e| format!("line {}: {key}: {e}", at(key)))?;
            check_param(&format!("{name}.{key}"), &param)
                .map_err(|e| format!("line {}: {e}", at(key)))?;
            component.params.push((key.clone(), param));
        }
        spec.components.push(component);
    }
    if let Some(centre) = table.get("centre").or(table.get("center")) {
        let toml::Value::Table(centre) = centre else {
            return Err(format!(
                "line {}: [centre] must be a table",
                lines.top_key("centre")
            ));
        };
        for (key, value) in centre {
            let at = lines.section_key("centre", key);
            let axis = match key.as_str() {
                "dx" => 0,
                "dy" => 1,
                _ => return Err(format!("line {at}: [centre] has dx and dy, not {key:?}")),
            };
            let param = param_spec(value).map_err(|e| format!("line {at}: {key}: {e}"))?;
            check_param(key, &param).map_err(|e| format!("line {at}: {e}"))?;
            spec.centre[axis] = param;
        }
    }
    spec.validate().map_err(|e| e.to_string())?;
    Ok(spec)
}

/// A parameter's value: a number (the start) or a table of start/value, fixed, min, max.
fn param_spec(value: &toml::Value) -> Result<ParamSpec, String> {
    let number = |v: &toml::Value| -> Result<f64, String> {
        match v {
            toml::Value::Float(f) => Ok(*f),
            toml::Value::Integer(i) => Ok(*i as f64),
            other => Err(format!("expected a number, got {other}")),
        }
    };
    match value {
        toml::Value::Table(t) => {
            let mut spec = ParamSpec::default();
            for (key, v) in t {
                match key.as_str() {
                    "start" | "value" => spec.start = Some(number(v)?),
                    "min" | "lower" => spec.lower = Some(number(v)?),
                    "max" | "upper" => spec.upper = Some(number(v)?),
                    "fixed" => spec.fixed = v.as_bool().ok_or("fixed must be true or false")?,
                    "prior" => {
                        let pair = v
                            .as_array()
                            .filter(|a| a.len() == 2)
                            .ok_or("prior must be [mean, sigma]")?;
                        spec.prior = Some([number(&pair[0])?, number(&pair[1])?]);
                    }
                    other => {
                        return Err(format!(
                            "unknown setting {other:?} (start, value, fixed, min, max, prior)"
                        ))
                    }
                }
            }
            Ok(spec)
        }
        v => Ok(ParamSpec {
            start: Some(number(v)?),
            ..ParamSpec::default()
        }),
    }
}

fn line_of(source: &str, byte: usize) -> usize {
    source[..byte.min(source.len())].matches('\n').count() + 1
}

/// Where things are in the file, by line: the `[[component]]` headers and the keys under them. (The TOML
/// value tree has no positions; model files are small and plain enough to find keys by their line.)
struct Lines<'s> {
    lines: Vec<&'s str>,
}

impl<'s> Lines<'s> {
    fn new(source: &'s str) -> Self {
        Lines {
            lines: source.lines().collect(),
        }
    }

    fn header(line: &str) -> Option<String> {
        let t = line.trim();
        t.starts_with('[')
            .then(|| t.trim_matches(|c| c == '[' || c == ']').trim().to_string())
    }

    fn key_of(line: &str) -> Option<&str> {
        let t = line.trim();
        let (key, _) = t.split_once('=')?;
        Some(key.trim().trim_matches('"'))
    }

    /// The line of the `index`-th `[[component]]` header (1-based; 1 if not found).
    fn component(&self, index: usize) -> usize {
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| Self::header(l).as_deref() == Some("component"))
            .nth(index)
            .map_or(1, |(i, _)| i + 1)
    }

    /// The line of `key` within the `index`-th component (its header's line if not found).
    fn component_key(&self, index: usize, key: &str) -> usize {
        let start = self.component(index);
        self.key_after(start, key).unwrap_or(start)
    }

    /// The line of `key` within the `[section]` table.
    fn section_key(&self, section: &str, key: &str) -> usize {
        let start = self.top_key(section);
        self.key_after(start, key).unwrap_or(start)
    }

    fn key_after(&self, start: usize, key: &str) -> Option<usize> {
        self.lines
            .iter()
            .enumerate()
            .skip(start)
            .take_while(|(_, l)| Self::header(l).is_none())
            .find(|(_, l)| {
                Self::key_of(l).is_some_and(|k| k == key || k.starts_with(&format!("{key}.")))
            })
            .map(|(i, _)| i + 1)
    }

    /// The line where a top-level section or key first appears.
    fn top_key(&self, key: &str) -> usize {
        self.lines
            .iter()
            .position(|l| Self::header(l).as_deref() == Some(key) || Self::key_of(l) == Some(key))
            .map_or(1, |i| i + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"# bulge + disk
[[component]]
name = "bulge"
type = "sersic"
sersic_index = { start = 4.0, min = 1.0, max = 6.0 }
half_light_radius = 1.5

[[component]]
name = "disk"
type = "exponential"
g1 = { value = 0.0, fixed = true }
g2 = { prior = [0.0, 0.3] }

[centre]
dx = { start = 0.5, min = -3, max = 3 }
"#;

    #[test]
    fn a_model_file_is_read_with_its_starts_bounds_and_fixed_values() {
        let spec = parse_model(GOOD).unwrap();
        assert_eq!(spec.components.len(), 2);
        let bulge = &spec.components[0];
        assert_eq!(bulge.kind, ComponentKind::Sersic);
        let n = bulge.param("sersic_index");
        assert_eq!(
            (n.start, n.lower, n.upper, n.fixed),
            (Some(4.0), Some(1.0), Some(6.0), false)
        );
        assert_eq!(bulge.param("half_light_radius").start, Some(1.5));
        let g1 = spec.components[1].param("g1");
        assert!(g1.fixed && g1.start == Some(0.0));
        assert_eq!(spec.components[1].param("g2").prior, Some([0.0, 0.3]));
        assert_eq!(spec.centre[0].start, Some(0.5));
    }

    /// Each mistake, and the line it must be reported on.
    #[test]
    fn mistakes_are_refused_naming_the_line() {
        let cases: [(&str, &str, usize, &str); 8] = [
            (
                "type = \"exponential\"",
                "type = \"spiral\"",
                10,
                "unknown component type",
            ),
            (
                "name = \"disk\"",
                "name = \"bulge\"",
                9,
                "a second component named",
            ),
            (
                "{ start = 4.0, min = 1.0, max = 6.0 }",
                "{ start = 7.0, min = 1.0, max = 6.0 }",
                5,
                "exclude the start",
            ),
            (
                "{ value = 0.0, fixed = true }",
                "{ fixed = true }",
                11,
                "fixed but has no value",
            ),
            (
                "half_light_radius = 1.5",
                "radius = 1.5",
                6,
                "has no parameter \"radius\"",
            ),
            ("[0.0, 0.3]", "[0.0, -0.3]", 12, "positive, finite sigma"),
            ("[0.0, 0.3]", "0.3", 12, "prior must be [mean, sigma]"),
            ("[centre]", "[centre\n", 14, "not valid TOML"),
        ];
        for (from, to, line, says) in cases {
            let text = GOOD.replacen(from, to, 1);
            let error = parse_model(&text).unwrap_err();
            assert!(
                error.starts_with(&format!("line {line}: ")) && error.contains(says),
                "{to:?}: {error}"
            );
        }
    }

    #[test]
    fn shorthands_name_their_components() {
        let spec = ModelSpec::shorthand("sersic+exponential+sky").unwrap();
        let names: Vec<&str> = spec.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["bulge", "disk", "sky"]);
        assert!(load_model("no-such-model").is_err());
    }
}
