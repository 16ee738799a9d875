"""studyapp: a study and interview-prep app about how Transformers work."""

__version__ = "0.1.0"
