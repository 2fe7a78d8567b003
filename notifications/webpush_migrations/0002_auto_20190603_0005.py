from importlib import import_module

Migration = import_module("webpush.migrations.0002_auto_20190603_0005").Migration
