"""Tests for the Smartcar integration, its client library and the Smartcar simulator."""
