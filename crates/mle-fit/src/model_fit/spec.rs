//! What a model of several components is: its components, each parameter's start, bounds and whether it
//! is fixed, and how those become the vector of free parameters a fit moves.

use crate::error::FitError;

/// The kinds of component a model can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentKind {
    /// A Sérsic with free index n.
    Sersic,
    /// An exponential disk: a Sérsic with n = 1.
    Exponential,
    /// A de Vaucouleurs bulge: a Sérsic with n = 4.
    DeVaucouleurs,
    /// A point source: the PSF alone.
    Point,
    /// A flat sky, ADU per pixel.
    Sky,
}

impl ComponentKind {
    /// The kind named `name` in a model file (`sersic`, `exponential`, `de_vaucouleurs`, `point`, `sky`).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "sersic" => ComponentKind::Sersic,
            "exponential" | "exp" => ComponentKind::Exponential,
            "de_vaucouleurs" | "devaucouleurs" | "dev" => ComponentKind::DeVaucouleurs,
            "point" | "psf" => ComponentKind::Point,
            "sky" => ComponentKind::Sky,
            _ => return None,
        })
    }

    /// The name used in model files and shorthands.
    pub fn name(&self) -> &'static str {
        match self {
            ComponentKind::Sersic => "sersic",
            ComponentKind::Exponential => "exponential",
            ComponentKind::DeVaucouleurs => "de_vaucouleurs",
            ComponentKind::Point => "point",
            ComponentKind::Sky => "sky",
        }
    }

    /// The component's own parameters (its centre aside), in output order.
    pub fn params(&self) -> &'static [&'static str] {
        match self {
            ComponentKind::Sersic => &["flux", "sersic_index", "half_light_radius", "g1", "g2"],
            ComponentKind::Exponential | ComponentKind::DeVaucouleurs => {
                &["flux", "half_light_radius", "g1", "g2"]
            }
            ComponentKind::Point => &["flux"],
            ComponentKind::Sky => &["level"],
        }
    }

    /// The index n of a Sérsic kind whose n is fixed by its kind.
    pub fn fixed_index(&self) -> Option<f64> {
        match self {
            ComponentKind::Exponential => Some(1.0),
            ComponentKind::DeVaucouleurs => Some(4.0),
            _ => None,
        }
    }

    /// Whether the component has a centre (everything but the sky).
    pub fn has_centre(&self) -> bool {
        !matches!(self, ComponentKind::Sky)
    }

    /// Whether the component has a size (a half-light radius): the Sérsic kinds, not a point or a sky.
    pub fn has_size(&self) -> bool {
        !matches!(self, ComponentKind::Point | ComponentKind::Sky)
    }
}

/// What the user says about one parameter; anything left `None` comes from the image.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ParamSpec {
    /// The starting value (the value, when fixed).
    pub start: Option<f64>,
    /// Held at `start` instead of fitted.
    pub fixed: bool,
    /// Lower bound.
    pub lower: Option<f64>,
    /// Upper bound.
    pub upper: Option<f64>,
    /// A Gaussian prior `[mean, sigma]` on the parameter: the fit then maximises the likelihood times
    /// the prior (a MAP estimate) instead of the likelihood alone.
    pub prior: Option<[f64; 2]>,
}

impl ParamSpec {
    /// A parameter held at `value` instead of fitted.
    pub fn fixed_at(value: f64) -> Self {
        ParamSpec {
            start: Some(value),
            fixed: true,
            ..ParamSpec::default()
        }
    }
}

/// One component: a name (the prefix of its output columns), a kind, the parameters the user set.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentSpec {
    /// Unique name, e.g. `bulge`.
    pub name: String,
    /// What it is.
    pub kind: ComponentKind,
    /// Settings of its parameters by name (those of [`ComponentKind::params`], and `dx`, `dy` when it
    /// has its own centre).
    pub params: Vec<(String, ParamSpec)>,
    /// Whether it has its own centre rather than the model's shared one.
    pub own_centre: bool,
}

impl ComponentSpec {
    /// A component with nothing set.
    pub fn new(name: &str, kind: ComponentKind) -> Self {
        ComponentSpec {
            name: name.to_string(),
            kind,
            params: Vec::new(),
            own_centre: false,
        }
    }

    /// The user's setting of `param` (empty if none).
    pub fn param(&self, param: &str) -> ParamSpec {
        self.params
            .iter()
            .find(|(name, _)| name == param)
            .map(|(_, spec)| *spec)
            .unwrap_or_default()
    }
}

/// A model: its components and the shared centre (dx, dy pixels from the stamp's true centre).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelSpec {
    /// The components, in output order.
    pub components: Vec<ComponentSpec>,
    /// Settings of the shared centre's dx and dy.
    pub centre: [ParamSpec; 2],
}

/// The names of the shorthand models `--model` accepts, with what each is.
pub const SHORTHANDS: [(&str, &str); 6] = [
    ("sersic", "one Sérsic"),
    (
        "sersic+exponential",
        "bulge (Sérsic, free n) + disk (exponential)",
    ),
    (
        "de_vaucouleurs+exponential",
        "bulge (n = 4) + disk (exponential)",
    ),
    ("sersic+point", "galaxy (Sérsic) + nucleus (point source)"),
    (
        "exponential+point",
        "disk (exponential) + nucleus (point source)",
    ),
    ("sersic+sersic", "two free Sérsics, named inner and outer"),
];

impl ModelSpec {
    /// The model a shorthand names (see [`SHORTHANDS`]); a `+sky` suffix adds a flat sky.
    pub fn shorthand(name: &str) -> Option<ModelSpec> {
        let (base, sky) = match name.strip_suffix("+sky") {
            Some(base) => (base, true),
            None => (name, false),
        };
        use ComponentKind::*;
        let parts: &[(&str, ComponentKind)] = match base {
            "sersic" => &[("sersic", Sersic)],
            "sersic+exponential" => &[("bulge", Sersic), ("disk", Exponential)],
            "de_vaucouleurs+exponential" | "dev+exp" => {
                &[("bulge", DeVaucouleurs), ("disk", Exponential)]
            }
            "sersic+point" => &[("galaxy", Sersic), ("nucleus", Point)],
            "exponential+point" => &[("disk", Exponential), ("nucleus", Point)],
            "sersic+sersic" => &[("inner", Sersic), ("outer", Sersic)],
            _ => return None,
        };
        let mut components: Vec<ComponentSpec> = parts
            .iter()
            .map(|(name, kind)| ComponentSpec::new(name, *kind))
            .collect();
        if sky {
            components.push(ComponentSpec::new("sky", Sky));
        }
        Some(ModelSpec {
            components,
            centre: Default::default(),
        })
    }

    /// Checks what a fit cannot work with: no light, two components of one name, a parameter a kind does
    /// not have, a fixed parameter with no value, bounds that are crossed or exclude the start.
    pub fn validate(&self) -> Result<(), FitError> {
        let bad = |m: String| Err(FitError::BadInput(m));
        if !self.components.iter().any(|c| c.kind != ComponentKind::Sky) {
            return bad("the model has no component with light (only a sky, or nothing)".into());
        }
        for (i, c) in self.components.iter().enumerate() {
            if self.components[..i].iter().any(|o| o.name == c.name) {
                return bad(format!("two components are named {:?}", c.name));
            }
            for (param, spec) in &c.params {
                let centre = c.own_centre && (param == "dx" || param == "dy");
                if !centre && !c.kind.params().contains(&param.as_str()) {
                    return bad(format!(
                        "component {:?} ({}) has no parameter {param:?}; it has {}",
                        c.name,
                        c.kind.name(),
                        c.kind.params().join(", ")
                    ));
                }
                check_param(&format!("{}.{param}", c.name), spec)?;
            }
        }
        for (spec, axis) in self.centre.iter().zip(["dx", "dy"]) {
            check_param(axis, spec)?;
        }
        Ok(())
    }
}

impl ModelSpec {
    /// The model as drawn with every parameter at its given value (its `start`), for rendering a model
    /// file: the parts and the total sky level. Each parameter of each component needs a value; a centre
    /// with none is at `centre` (pixels from the stamp's true centre).
    pub fn parts_at_values(
        &self,
        centre: [f64; 2],
    ) -> Result<(Vec<sersic_render::ModelPart>, f64), FitError> {
        use sersic_render::{GalaxyParams, ModelPart};
        self.validate()?;
        let shared = [
            self.centre[0].start.unwrap_or(centre[0]),
            self.centre[1].start.unwrap_or(centre[1]),
        ];
        let mut parts = Vec::new();
        let mut sky = 0.0;
        for c in &self.components {
            let value = |p: &str| {
                c.param(p).start.ok_or_else(|| {
                    FitError::BadInput(format!(
                        "component {:?}: {p} has no value (drawing a model needs every parameter)",
                        c.name
                    ))
                })
            };
            let offset = if c.own_centre {
                [
                    c.param("dx").start.unwrap_or(shared[0]),
                    c.param("dy").start.unwrap_or(shared[1]),
                ]
            } else {
                shared
            };
            match c.kind {
                ComponentKind::Sky => sky += value("level")?,
                ComponentKind::Point => parts.push(ModelPart::Point {
                    flux: value("flux")?,
                    offset,
                }),
                kind => {
                    let n = match kind.fixed_index() {
                        Some(n) => n,
                        None => value("sersic_index")?,
                    };
                    let galaxy = GalaxyParams::new(
                        value("flux")?,
                        n,
                        value("half_light_radius")?,
                        c.param("g1").start.unwrap_or(0.0),
                        c.param("g2").start.unwrap_or(0.0),
                    );
                    galaxy
                        .validate()
                        .map_err(|e| FitError::BadInput(format!("component {:?}: {e}", c.name)))?;
                    parts.push(ModelPart::Sersic { galaxy, offset });
                }
            }
        }
        Ok((parts, sky))
    }
}

/// One parameter's own consistency (see [`ModelSpec::validate`]).
pub fn check_param(name: &str, spec: &ParamSpec) -> Result<(), FitError> {
    let bad = |m: String| Err(FitError::BadInput(m));
    for (what, v) in [
        ("start", spec.start),
        ("lower", spec.lower),
        ("upper", spec.upper),
    ] {
        if v.is_some_and(|v| !v.is_finite()) {
            return bad(format!("{name}: the {what} value is not finite"));
        }
    }
    if let Some([mean, sigma]) = spec.prior {
        if !mean.is_finite() || !sigma.is_finite() || sigma <= 0.0 {
            return bad(format!(
                "{name}: a prior needs a finite mean and a positive, finite sigma (got [{mean}, {sigma}])"
            ));
        }
    }
    if spec.fixed && spec.start.is_none() {
        return bad(format!("{name} is fixed but has no value"));
    }
    if let (Some(l), Some(h)) = (spec.lower, spec.upper) {
        if l >= h {
            return bad(format!(
                "{name}: lower bound {l} is not below upper bound {h}"
            ));
        }
    }
    if let Some(s) = spec.start {
        if spec.lower.is_some_and(|l| s < l) || spec.upper.is_some_and(|h| s > h) {
            return bad(format!(
                "{name}: the bounds [{}, {}] exclude the start {s}",
                spec.lower.map_or("-inf".into(), |v| v.to_string()),
                spec.upper.map_or("inf".into(), |v| v.to_string())
            ));
        }
    }
    Ok(())
}
