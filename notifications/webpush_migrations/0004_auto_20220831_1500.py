from importlib import import_module

Migration = import_module("webpush.migrations.0004_auto_20220831_1500").Migration
