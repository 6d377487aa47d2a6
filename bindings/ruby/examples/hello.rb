require "roam"
Greeter = Roam.service(:Greeter) { method :hello, [:string] => :string }
class GreeterImpl
  def hello(name) = "Hello, #{name}!"
end
Roam.open do |rt|
  server = rt.listen("tcp://127.0.0.1:0") { |session| session.serve(Greeter, GreeterImpl.new) }
  session = rt.connect(server.address)
  greeter = Greeter.client(session.wait_handshake)
  puts greeter.hello("Ruby")
end
