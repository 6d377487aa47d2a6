import asyncio

import roam


@roam.service
class Greeter:
    async def greet(self, name: str) -> str: ...


class GreeterImpl(Greeter):
    async def greet(self, name):
        return "hello, " + name


async def main():
    async with await roam.listen("tcp://127.0.0.1:0", serve=GreeterImpl()) as server:
        async with await roam.connect(server.address) as s:
            print(await Greeter.client(s.root).greet("world"))


asyncio.run(main())
