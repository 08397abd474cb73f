"""The webcam page's ES modules, served by the demo (``routes.SCRIPT_FILE``): ``camera.mjs`` the loop,
``engines.mjs`` where a frame's matte comes from (this browser or the server), ``matte.mjs`` Python's rules around
the model, ``compose.mjs`` the effect drawn."""
