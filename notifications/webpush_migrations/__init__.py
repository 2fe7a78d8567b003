"""django-webpush's migrations, plus the one its release lacks.

django-webpush 0.3.6 changed ``SubscriptionInfo.user_agent`` without a migration, so
``makemigrations --check`` would always report a change. ``MIGRATION_MODULES`` points the
``webpush`` app here: each released migration is the package's own (imported, not copied)
and ``0006`` adds the missing one.
"""
