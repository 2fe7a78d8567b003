from importlib import import_module

Migration = import_module("webpush.migrations.0001_initial").Migration
