"""The pages. Each module with a ``router`` (an :class:`fastapi.APIRouter`) is included by the application.

A module that is a navigation section registers it at import::

    SECTION = register(Section("patients", N_("Patients"), "/patients", Permission.PATIENT_READ, order=10))
"""
