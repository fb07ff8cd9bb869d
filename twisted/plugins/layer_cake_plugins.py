"""twistd plugins of layer-cake: ``twistd group-cake``."""

from twisted.application.service import ServiceMaker

group_cake = ServiceMaker('group-cake', 'layer_cake.supervisor.group_cake_tap',
                          'Run the roles of a layer-cake home as one composite process.',
                          'group-cake')
