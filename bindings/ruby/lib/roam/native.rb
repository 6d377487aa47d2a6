# frozen_string_literal: true

require "ffi"

module Roam
  # The C API of libroam.so.1, attached with the ffi gem. Internal: use the
  # Ruby classes (Roam::Runtime, Roam::Session, ...) instead.
  #
  # Pointers the library hands to callbacks (sessions, connections) are
  # declared as :pointer; every user_data is an integer handle (declared
  # :uintptr_t), never a Ruby object's address.
  module Native
    extend FFI::Library

    # Where libroam.so.1 is, in the order of bindings/README.md.
    def self.library_candidates
      out = []
      env = ENV["ROAM_LIBRARY_PATH"]
      out << env if env && !env.empty?
      build = ENV["ROAM_BUILD_DIR"]
      out << File.join(build, "libroam.so.1") if build && !build.empty?
      begin
        libdir = IO.popen(["pkg-config", "--variable=libdir", "roam"], err: File::NULL, &:read).to_s.strip
        out << File.join(libdir, "libroam.so.1") if $?.success? && !libdir.empty?
      rescue SystemCallError
        # no pkg-config: skip that step
      end
      out << "libroam.so.1"
      out
    end

    def self.locate
      library_candidates.each do |c|
        next if c.include?("/") && !File.exist?(c)

        return c
      end
      "libroam.so.1"
    end

    LIBRARY = locate
    ffi_lib LIBRARY

    typedef :pointer, :rt
    typedef :pointer, :session
    typedef :pointer, :conn
    typedef :pointer, :listener
    typedef :pointer, :md
    typedef :pointer, :opts
    typedef :pointer, :cbs
    typedef :uintptr_t, :ud

    attach_function :roam_version, [], :string
    attach_function :roam_strerror, [:int], :string
    attach_function :roam_err_name, [:int], :string
    attach_function :roam_last_error_detail, [], :string

    # metadata
    attach_function :roam_metadata_new, [:pointer], :int
    attach_function :roam_metadata_free, [:md], :void
    attach_function :roam_metadata_add_string, [:md, :pointer, :size_t, :pointer, :size_t, :uint64], :int
    attach_function :roam_metadata_add_bytes, [:md, :pointer, :size_t, :pointer, :size_t, :uint64], :int
    attach_function :roam_metadata_add_u64, [:md, :pointer, :size_t, :uint64, :uint64], :int
    attach_function :roam_metadata_count, [:pointer], :size_t
    attach_function :roam_metadata_count_at, :roam_metadata_count, [:uintptr_t], :size_t
    attach_function :roam_metadata_get,
                    [:md, :size_t, :pointer, :pointer, :pointer, :pointer, :pointer, :pointer, :pointer], :int

    # options
    attach_function :roam_options_new, [:pointer], :int
    attach_function :roam_options_free, [:opts], :void
    attach_function :roam_options_set_role, [:opts, :int], :int
    attach_function :roam_options_set_hello_metadata, [:opts, :md], :int
    attach_function :roam_options_set_max_concurrent_requests, [:opts, :uint32], :int
    attach_function :roam_options_set_keepalive, [:opts, :uint32, :uint32], :int
    attach_function :roam_options_set_handshake_timeout, [:opts, :uint32], :int
    attach_function :roam_options_set_idle_timeout, [:opts, :uint32], :int
    attach_function :roam_options_set_max_frame_size, [:opts, :uint32], :int

    # runtime (the waiting is done in Ruby: IO.select on the backend fd, so
    # other Ruby threads run while a runtime waits; run / run_once release
    # the GVL too, for who uses them directly)
    attach_function :roam_runtime_new, [:pointer], :int
    attach_function :roam_runtime_free, [:rt], :int
    attach_function :roam_runtime_run, [:rt], :int, blocking: true
    attach_function :roam_runtime_run_once, [:rt], :int, blocking: true
    attach_function :roam_runtime_run_nowait, [:rt], :int
    attach_function :roam_runtime_stop, [:rt], :int
    attach_function :roam_runtime_wake, [:rt], :int
    attach_function :roam_runtime_backend_fd, [:rt], :int
    attach_function :roam_runtime_backend_timeout, [:rt, :pointer], :int

    # callbacks table
    callback :handshake_cb, [:uintptr_t, :ud, :int, :md], :void
    callback :session_end_cb, [:uintptr_t, :ud, :int, :string], :void
    callback :inbound_open_cb, [:uintptr_t, :ud, :conn, :md], :void
    callback :open_result_cb, [:uintptr_t, :ud, :conn, :int, :md], :void
    callback :conn_closed_cb, [:uintptr_t, :ud, :conn, :int, :int, :md], :void
    callback :serve_cb, [:uintptr_t, :ud, :conn, :uint64, :uint64, :pointer, :size_t, :md, :pointer, :size_t], :void
    callback :serve_cancelled_cb, [:uintptr_t, :ud, :conn, :uint64], :void
    callback :keepalive_timeout_cb, [:uintptr_t, :ud], :void
    callback :writable_cb, [:uintptr_t, :ud], :void
    callback :session_close_cb, [:uintptr_t, :ud], :void
    callback :response_cb, [:uintptr_t, :ud, :uint64, :int, :uintptr_t, :pointer, :size_t], :void
    callback :channel_item_cb, [:uintptr_t, :uint64, :ud, :pointer, :size_t], :void
    callback :channel_end_cb, [:uintptr_t, :uint64, :ud, :int, :md], :void
    callback :channel_writable_cb, [:uintptr_t, :uint64, :ud], :void
    callback :accept_cb, [:uintptr_t, :ud, :int, :session], :void
    callback :listener_close_cb, [:uintptr_t, :ud], :void

    attach_function :roam_callbacks_new, [:pointer], :int
    attach_function :roam_callbacks_free, [:cbs], :void
    attach_function :roam_callbacks_set_handshake, [:cbs, :handshake_cb], :int
    attach_function :roam_callbacks_set_session_end, [:cbs, :session_end_cb], :int
    attach_function :roam_callbacks_set_inbound_open, [:cbs, :inbound_open_cb], :int
    attach_function :roam_callbacks_set_open_result, [:cbs, :open_result_cb], :int
    attach_function :roam_callbacks_set_conn_closed, [:cbs, :conn_closed_cb], :int
    attach_function :roam_callbacks_set_serve, [:cbs, :serve_cb], :int
    attach_function :roam_callbacks_set_serve_cancelled, [:cbs, :serve_cancelled_cb], :int
    attach_function :roam_callbacks_set_keepalive_timeout, [:cbs, :keepalive_timeout_cb], :int
    attach_function :roam_callbacks_set_writable, [:cbs, :writable_cb], :int

    # sessions
    attach_function :roam_session_connect, [:rt, :string, :opts, :cbs, :ud, :pointer], :int
    attach_function :roam_session_close, [:session, :session_close_cb, :ud], :int
    attach_function :roam_session_shutdown, [:session], :int
    attach_function :roam_session_set_user_data, [:session, :ud], :void
    attach_function :roam_session_state, [:session], :int
    attach_function :roam_session_root, [:session, :pointer], :int
    attach_function :roam_session_open, [:session, :int, :uint32, :md, :ud, :pointer], :int
    attach_function :roam_session_last_error, [:session], :string

    # connections
    attach_function :roam_conn_id, [:conn, :pointer], :int
    attach_function :roam_conn_state, [:conn], :int
    attach_function :roam_conn_accept, [:conn, :int, :uint32, :md], :int
    attach_function :roam_conn_reject, [:conn, :md], :int
    attach_function :roam_conn_close, [:conn, :md], :int
    attach_function :roam_conn_release, [:conn], :int

    # calls and serving
    attach_function :roam_conn_call,
                    [:conn, :uint64, :pointer, :size_t, :md, :pointer, :size_t, :response_cb, :ud, :pointer], :int
    attach_function :roam_call_cancel, [:conn, :uint64, :md], :int
    attach_function :roam_reply_ok, [:conn, :uint64, :md, :pointer, :size_t], :int
    attach_function :roam_reply_user_error, [:conn, :uint64, :md, :pointer, :size_t], :int
    attach_function :roam_reply_fail, [:conn, :uint64, :int, :md], :int
    attach_function :roam_reply_release, [:conn, :uint64], :int

    # channels
    attach_function :roam_conn_channel_open,
                    [:conn, :int, :uint32, :channel_item_cb, :channel_end_cb, :channel_writable_cb, :ud, :pointer], :int
    attach_function :roam_conn_channel_bind,
                    [:conn, :uint64, :int, :uint32, :channel_item_cb, :channel_end_cb, :channel_writable_cb, :ud], :int
    attach_function :roam_channel_send, [:conn, :uint64, :pointer, :size_t], :int
    attach_function :roam_channel_close, [:conn, :uint64, :md], :int
    attach_function :roam_channel_reset, [:conn, :uint64, :md], :int
    attach_function :roam_channel_set_manual_credit, [:conn, :uint64, :int], :int
    attach_function :roam_channel_grant, [:conn, :uint64, :uint32], :int
    attach_function :roam_channel_credit, [:conn, :uint64, :pointer], :int

    # listeners
    attach_function :roam_listener_new, [:rt, :string, :opts, :cbs, :accept_cb, :ud, :pointer], :int
    attach_function :roam_listener_address, [:listener, :pointer, :pointer], :int
    attach_function :roam_listener_close, [:listener, :listener_close_cb, :ud], :int

    # postcard
    attach_function :roam_postcard_writer_init_growing, [:pointer, :size_t], :int
    attach_function :roam_postcard_writer_free, [:pointer], :void
    attach_function :roam_postcard_writer_reset, [:pointer], :void
    attach_function :roam_postcard_writer_finish, [:pointer, :pointer], :int
    attach_function :roam_postcard_write_bool, [:pointer, :int], :int
    attach_function :roam_postcard_write_u8, [:pointer, :uint8], :int
    attach_function :roam_postcard_write_i8, [:pointer, :int8], :int
    attach_function :roam_postcard_write_u16, [:pointer, :uint16], :int
    attach_function :roam_postcard_write_u32, [:pointer, :uint32], :int
    attach_function :roam_postcard_write_u64, [:pointer, :uint64], :int
    attach_function :roam_postcard_write_u128, [:pointer, :uint64, :uint64], :int
    attach_function :roam_postcard_write_i16, [:pointer, :int16], :int
    attach_function :roam_postcard_write_i32, [:pointer, :int32], :int
    attach_function :roam_postcard_write_i64, [:pointer, :int64], :int
    attach_function :roam_postcard_write_i128, [:pointer, :int64, :uint64], :int
    attach_function :roam_postcard_write_f32, [:pointer, :float], :int
    attach_function :roam_postcard_write_f64, [:pointer, :double], :int
    attach_function :roam_postcard_write_char, [:pointer, :uint32], :int
    attach_function :roam_postcard_write_str, [:pointer, :pointer, :size_t], :int
    attach_function :roam_postcard_write_bytes, [:pointer, :pointer, :size_t], :int
    attach_function :roam_postcard_write_option, [:pointer, :int], :int
    attach_function :roam_postcard_write_len, [:pointer, :uint64], :int
    attach_function :roam_postcard_write_variant, [:pointer, :uint32], :int
    attach_function :roam_postcard_reader_init, [:pointer, :size_t, :pointer, :size_t], :int
    attach_function :roam_postcard_reader_finish, [:pointer], :int
    attach_function :roam_postcard_read_bool, [:pointer, :pointer], :int
    attach_function :roam_postcard_read_u8, [:pointer, :pointer], :int
    attach_function :roam_postcard_read_i8, [:pointer, :pointer], :int
    attach_function :roam_postcard_read_u16, [:pointer, :pointer], :int
    attach_function :roam_postcard_read_u32, [:pointer, :pointer], :int
    attach_function :roam_postcard_read_u64, [:pointer, :pointer], :int
    attach_function :roam_postcard_read_u128, [:pointer, :pointer, :pointer], :int
    attach_function :roam_postcard_read_i16, [:pointer, :pointer], :int
    attach_function :roam_postcard_read_i32, [:pointer, :pointer], :int
    attach_function :roam_postcard_read_i64, [:pointer, :pointer], :int
    attach_function :roam_postcard_read_i128, [:pointer, :pointer, :pointer], :int
    attach_function :roam_postcard_read_f32, [:pointer, :pointer], :int
    attach_function :roam_postcard_read_f64, [:pointer, :pointer], :int
    attach_function :roam_postcard_read_char, [:pointer, :pointer], :int
    attach_function :roam_postcard_read_str, [:pointer, :pointer, :pointer], :int
    attach_function :roam_postcard_read_bytes, [:pointer, :pointer, :pointer], :int
    attach_function :roam_postcard_read_option, [:pointer, :pointer], :int
    attach_function :roam_postcard_read_len, [:pointer, :size_t, :pointer], :int
    attach_function :roam_postcard_read_variant, [:pointer, :uint32, :pointer], :int

    # method ids
    attach_function :roam_method_id, [:string, :size_t, :string, :size_t, :pointer, :size_t, :pointer], :int
    attach_function :roam_sig_builder_new, [:pointer], :int
    attach_function :roam_sig_builder_free, [:pointer], :void
    attach_function :roam_sig_primitive, [:pointer, :int], :int
    attach_function :roam_sig_list, [:pointer], :int
    attach_function :roam_sig_option, [:pointer], :int
    attach_function :roam_sig_set, [:pointer], :int
    attach_function :roam_sig_map, [:pointer], :int
    attach_function :roam_sig_array, [:pointer, :uint64], :int
    attach_function :roam_sig_tx, [:pointer], :int
    attach_function :roam_sig_rx, [:pointer], :int
    attach_function :roam_sig_tuple, [:pointer, :size_t], :int
    attach_function :roam_sig_struct, [:pointer, :string, :size_t, :size_t], :int
    attach_function :roam_sig_field, [:pointer, :string, :size_t], :int
    attach_function :roam_sig_enum, [:pointer, :string, :size_t, :size_t], :int
    attach_function :roam_sig_variant_unit, [:pointer, :string, :size_t], :int
    attach_function :roam_sig_variant_newtype, [:pointer, :string, :size_t], :int
    attach_function :roam_sig_variant_tuple, [:pointer, :string, :size_t, :size_t], :int
    attach_function :roam_sig_variant_struct, [:pointer, :string, :size_t, :size_t], :int
    attach_function :roam_sig_ref, [:pointer, :string, :size_t], :int
    attach_function :roam_sig_finish, [:pointer, :pointer, :pointer], :int

    NTS = 0xFFFF_FFFF_FFFF_FFFF
    NO_TIMEOUT = 0xFFFF_FFFF
    # ROAM_DEFAULT_CHANNEL_CREDIT: a channel's credit when its type says 0.
    DEFAULT_CHANNEL_CREDIT = 16
    # The writer / reader structs' sizes (roam_postcard.h, fixed for 1.x).
    WRITER_SIZE = 80
    READER_SIZE = 72
  end
end
