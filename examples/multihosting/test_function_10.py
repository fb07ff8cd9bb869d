# test_function_10.py
import random


def texture(x: int=8, y: int=8) -> list[list[float]]:
    """A table of y rows of x random numbers: the work a worker does."""
    table = []
    for r in range(y):
        row = [random.random() for c in range(x)]
        table.append(row)
    return table
