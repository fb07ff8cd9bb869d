"""twistd plugins of layer-cake: ``twistd group-cake``, ``twistd host-cake``,
``twistd lan-cake``."""

from twisted.application.service import ServiceMaker

group_cake = ServiceMaker('group-cake', 'layer_cake.supervisor.group_cake_tap',
                          'Run the roles of a layer-cake home as one composite process.',
                          'group-cake')

host_cake = ServiceMaker('host-cake', 'layer_cake.directory.host_cake_tap',
                         'Run the directory of this host (a HOST tier).', 'host-cake')

lan_cake = ServiceMaker('lan-cake', 'layer_cake.directory.lan_cake_tap',
                        'Run the directory of a local network (the LAN tier).', 'lan-cake')
