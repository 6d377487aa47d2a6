# frozen_string_literal: true

require_relative "lib/roam/version"

Gem::Specification.new do |s|
  s.name = "roam"
  s.version = Roam::VERSION
  s.summary = "Ruby binding of libroam (the roam RPC session protocol, v7)"
  s.description = "Sessions, virtual connections, calls, channels and typed services over libroam.so.1, " \
                  "loaded with the ffi gem; wire-compatible with the Rust roam 7.3.0 crates."
  s.authors = ["libroam contributors"]
  s.license = "MIT"
  s.homepage = "https://example.invalid/libroam"
  s.files = Dir["lib/**/*.rb"] + Dir["examples/*.rb"] + ["README.md", "roam.gemspec"]
  s.require_paths = ["lib"]
  s.required_ruby_version = ">= 3.0"
  # Debian's ruby-ffi provides it (gem list shows ffi 1.15.5).
  s.add_runtime_dependency "ffi", ">= 1.15"
  s.add_development_dependency "minitest", ">= 5"
  s.requirements << "libroam.so.1 (found through ROAM_LIBRARY_PATH, ROAM_BUILD_DIR, pkg-config roam, or the system loader)"
end
