"""Care: treatment sessions and procedure records, and the clinician's patient view."""
