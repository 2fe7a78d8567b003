from importlib import import_module

Migration = import_module("webpush.migrations.0003_subscriptioninfo_user_agent").Migration
