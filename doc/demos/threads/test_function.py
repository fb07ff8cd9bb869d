# test_function.py
import random
import layer_cake as lc


def texture(self, x: int=8, y: int=8) -> list[list[float]]:
    table = []
    for r in range(y):
        row = [random.random() for c in range(x)]
        table.append(row)
    return table

lc.bind(texture)

if __name__ == '__main__':
    lc.create(texture)
