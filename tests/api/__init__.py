"""Tests of the Smartcar client library (custom_components/smartcar/api)."""
