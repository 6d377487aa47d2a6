# frozen_string_literal: true

# libroam for Ruby: sessions, connections, calls, channels and typed
# services over libroam.so.1 (the ffi gem). See README.md.
require_relative "roam/version"
require_relative "roam/native"
require_relative "roam/error"
require_relative "roam/metadata"
require_relative "roam/postcard"
require_relative "roam/types"
require_relative "roam/runtime"
require_relative "roam/service"
