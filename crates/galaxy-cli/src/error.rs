//! The one place that decides whether a failure was the user's (exit status 2) or the program's (1):
//! every library error converts into a [`CliError`] here, by the library's own `is_bad_input`.

/// An error that ends the command: its message and whether the user's input was at fault.
#[derive(Debug)]
pub struct CliError {
    /// What went wrong, naming the field, row or file.
    pub message: String,
    /// Bad input (exit status 2) rather than a failure of the tool (exit status 1).
    pub bad_input: bool,
}

impl CliError {
    /// Bad input: exit status 2.
    pub fn input(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            bad_input: true,
        }
    }

    /// A failure of the tool or the system: exit status 1.
    pub fn internal(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            bad_input: false,
        }
    }

    /// The same error with `context` before its message ("--init: ..."); an empty context adds
    /// nothing.
    pub fn context(self, context: &str) -> Self {
        if context.is_empty() {
            return self;
        }
        CliError {
            message: format!("{context}: {}", self.message),
            ..self
        }
    }
}

macro_rules! classified {
    ($($t:ty),*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> Self {
                CliError { bad_input: e.is_bad_input(), message: e.to_string() }
            }
        }
    )*};
}

#[cfg(feature = "explore")]
classified!(galaxy_explore::ExploreError);

classified!(
    galaxy_fits::FitsError,
    galaxy_measure::MeasureError,
    galaxy_data::DataError,
    mle_fit::FitError,
    galaxy_eval::EvalError,
    galaxy_nets::NetError
);

/// Every error of the renderer is a parameter, PSF or stamp the caller chose.
impl From<sersic_render::RenderError> for CliError {
    fn from(e: sersic_render::RenderError) -> Self {
        CliError::input(e.to_string())
    }
}

/// PSF errors name the parameter that is out of range.
impl From<sersic_render::PsfError> for CliError {
    fn from(e: sersic_render::PsfError) -> Self {
        CliError::input(e.to_string())
    }
}
