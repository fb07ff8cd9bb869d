NAME = 'beside'
