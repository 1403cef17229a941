import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import write
a = Atoms('Si2C', positions=[[0,0,0],[1.36,1.37,1.35],[2.7,0.1,2.6]],
          cell=[[5.43,0.01,0],[0,5.43,0],[0.02,0,5.43]], pbc=True)
a.info['config_type'] = 'bulk test'
a.info['temperature'] = 300.5
a.new_array('charges_custom', np.array([0.1, -0.2, 0.1]))
a.calc = SinglePointCalculator(a, energy=-12.345678901234567,
    forces=np.array([[0.1,-0.2,0.3],[0.01,0.02,-0.03],[-0.11,0.18,-0.27]]),
    stress=np.array([0.01, 0.02, 0.03, 0.004, 0.005, 0.006]))
m = Atoms('H2O', positions=[[0,0,0],[0.96,0,0],[-0.24,0.93,0]])
m.calc = SinglePointCalculator(m, energy=-14.2, forces=np.zeros((3,3)))
write('ase.extxyz', [a, m], format='extxyz')
