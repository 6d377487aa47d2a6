# frozen_string_literal: true

require_relative "test_helper"
require "open3"

class TestHello < Minitest::Test
  def test_hello_example_runs_as_written
    file = File.join(BINDING_DIR, "examples", "hello.rb")
    out, err, st = Open3.capture3(RbConfig.ruby, "-I", File.join(BINDING_DIR, "lib"), file)
    assert st.success?, err
    assert_equal "Hello, Ruby!\n", out
    # the README starts with the same example
    readme = File.read(File.join(BINDING_DIR, "README.md"))
    assert_includes readme, File.read(file)
    assert_operator File.read(file).lines.size, :<=, 12
  end
end
