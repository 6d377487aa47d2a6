# frozen_string_literal: true

module Roam
  VERSION = "1.0.0"
end
