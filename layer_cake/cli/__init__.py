"""The ``layer-cake`` command: describe a composite process in a home folder,
run it, and look at what it did (network.md §11).

:mod:`.main` parses the command line and dispatches to a *verb*; the verbs
live in modules by what they touch: :mod:`.role_verbs` change the roles of a
home, :mod:`.running_verbs` start and stop group-cake, :mod:`.record_verbs`
read what roles left behind (history, returned values, logs),
:mod:`.material_verbs` put scripts, resources and models into the home, and
:mod:`.network_verbs` look at the publish/subscribe directory.
"""
