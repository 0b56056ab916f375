"""The project's own exception types.

Every error a user can cause is an :class:`AnnotateError` whose message is one
line saying what was wrong and what to do. The CLI prints it and exits 2; the
app shows it with ``st.error``. Anything else is a bug and may show a traceback.
"""

from __future__ import annotations


class AnnotateError(Exception):
    """Base class of every user-facing error in cx-annotate."""


# --- media -------------------------------------------------------------------


class MediaError(AnnotateError):
    """A media file cannot be used."""

    def __init__(self, message: str, path: object | None = None):
        self.path = None if path is None else str(path)
        super().__init__(message)

    def shown_as(self, name: str) -> MediaError:
        """Return the same error (same type) with its path and message naming ``name`` instead.

        Used where a file is checked under a temporary name the user never saw.
        """
        text = str(self)
        if self.path:
            text = text.replace(self.path, name).replace(self.path.rsplit("/", 1)[-1], name)
        return type(self)(text, name)


class MediaNotFoundError(MediaError):
    """The path does not exist or is not a file."""


class EmptyMediaError(MediaError):
    """The file has zero bytes."""


class NotAVideoError(MediaError):
    """The file is not a media container FFmpeg can open."""


class NoVideoStreamError(MediaError):
    """The container opens but holds no video stream (audio only, data only)."""


class TruncatedMediaError(MediaError):
    """The file ends early: a copy or recording was interrupted."""


class UndecodableMediaError(MediaError):
    """The video stream exists but no frame can be decoded (unknown codec, corrupt data)."""


class FrameOutOfRangeError(MediaError):
    """A time or frame index lies outside the recording."""


class UploadTooLargeError(MediaError):
    """An uploaded file is bigger than the configured limit (ANNOTATE_MAX_UPLOAD_MB)."""


# --- model and validation ---------------------------------------------------


class ValidationError(AnnotateError):
    """A value breaks a rule of the model (unknown kind, emotion outside -2..2, ...)."""


class UnknownKindError(ValidationError):
    """A kind that is none of moment_of_truth / internal_interaction / decision_point."""


# --- store -------------------------------------------------------------------


class StoreError(AnnotateError):
    """The store cannot do what was asked."""


class NotFoundError(StoreError):
    """No recording or event with that id (or it was deleted)."""


class ConflictError(StoreError):
    """Someone else changed the row since it was read: reload and apply the change again."""


class DuplicateError(StoreError):
    """The thing being added is already stored."""


class NothingToUndoError(StoreError):
    """The change log holds nothing that can be undone."""


class StoreUnavailableError(StoreError):
    """The database could not be used just then (locked or busy past the timeout, server unreachable): retry."""


# --- formats -----------------------------------------------------------------


class FormatError(AnnotateError):
    """An event file cannot be read. ``problems`` lists every bad line found."""

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = list(problems or [])
        super().__init__(message)


# --- render / export ---------------------------------------------------------


class RenderError(AnnotateError):
    """A video cannot be rendered as asked (encoder missing, clip outside the recording, nothing to put in a reel)."""


# --- access ------------------------------------------------------------------


class AccessDeniedError(AnnotateError):
    """A request may not act for that review session (unknown or expired token, another recording)."""


class VideoTooLargeError(MediaError):
    """The picture is bigger than cx-annotate takes (annotate.media.probe.MAX_SIDE pixels on a side)."""


class SignInError(AccessDeniedError):
    """A sign-in or session is not valid: unknown name, wrong password, disabled account, expired or forged cookie."""


class TooManyAttemptsError(SignInError):
    """Too many failed sign-ins for that name or address: wait ``retry_after_s`` seconds."""

    def __init__(self, message: str, retry_after_s: float):
        self.retry_after_s = retry_after_s
        super().__init__(message)
