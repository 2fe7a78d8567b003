from importlib import import_module

Migration = import_module("webpush.migrations.0005_auto_20230614_1529").Migration
