# frozen_string_literal: true

module Roam
  # Every failure libroam reports: #code is the ROAM_E* code (a negative
  # Integer), #name its symbol without the prefix (:ECLOSED), the message
  # roam_strerror's text plus roam_last_error_detail (#detail) when there is
  # one. Each code has its subclass (Roam::ECLOSED, Roam::ECANCELLED, ...),
  # so both `rescue Roam::Error => e; e.code` and `rescue Roam::ECLOSED` work.
  class Error < StandardError
    CODES = {
      EINVAL: -1, ENOMEM: -2, EAGAIN: -3, ESTATE: -4, ENOTFOUND: -5, EROOT: -6, ECLOSED: -7,
      EREJECTED: -8, EPROTO: -9, EVERSION: -10, EHANDSHAKE: -11, ETIMEDOUT: -12, EKEEPALIVE: -13,
      EEOF: -14, EIO: -15, EFRAMESIZE: -16, ELIMIT: -17, ECANCELLED: -18, EPEERERROR: -19,
      ESHUTDOWN: -20, ERESET: -21, EUSER: -22, EUNKNOWNMETHOD: -23, EINVALIDPAYLOAD: -24,
      ENOBUFS: -25, EINTERNAL: -26, ETRUNCATED: -30, EOVERLONG: -31, EBADTAG: -32,
      EBADLENGTH: -33, ETRAILING: -34, EBADUTF8: -35, ERANGE: -36
    }.freeze
    BY_CODE = {} # code => subclass

    attr_reader :code, :detail

    # Roam::Error.new(code, detail = nil, message: nil)
    def initialize(code = self.class::CODE, detail = nil)
      @code = code
      @detail = detail && !detail.empty? ? detail : nil
      text = Error.describe(code)
      super(@detail ? "#{text}: #{@detail}" : text)
    end

    def name
      n = Native.roam_err_name(@code)
      n.start_with?("ROAM_") ? n[5..].to_sym : n.to_sym
    end

    def self.describe(code)
      "#{Native.roam_err_name(code)}: #{Native.roam_strerror(code)}"
    end

    # The exception for code (its subclass when it has one).
    def self.for(code, detail = nil)
      return UserError.new(nil, detail) if code == UserError::CODE

      (BY_CODE[code] || Error).new(code, detail)
    end

    # Raises for a negative rc, with roam_last_error_detail (read at once)
    # and what was being done.
    def self.check(rc, what = nil)
      return rc if rc >= 0

      detail = Native.roam_last_error_detail
      detail = what if detail.nil? || detail.empty?
      raise self.for(rc, detail)
    end

    CODE = nil
  end

  # A method's own error (Result::Err): #value is the decoded E.
  class UserError < Error
    CODE = -22
    attr_reader :value

    # Raise it from a handler to answer Err(value).
    def initialize(value = nil, detail = nil)
      @value = value
      super(CODE, detail || "user error #{value.inspect}")
    end
  end

  Error::CODES.each do |name, code|
    klass = name == :EUSER ? UserError : Class.new(Error) { const_set(:CODE, code) }
    const_set(name, klass) unless name == :EUSER
    Error::BY_CODE[code] = klass
  end
  EUSER = UserError
  TimeoutError = ETIMEDOUT
  Error::BY_CODE.freeze
end
