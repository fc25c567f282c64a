"""SMS and WhatsApp (issue 12), the building blocks:

- :mod:`.text` GSM-7/UCS-2, segments, splitting into "(1/2)" parts (pure)
- :mod:`.phone` E.164 normalisation, keyed lookup hash, masking (pure)
- :mod:`.gateway` inbound/outgoing message types and the :class:`SmsGateway` protocol
- :mod:`.twilio_gateway`, :mod:`.json_gateway` the two formats; :mod:`.providers` picks one
- :mod:`.web` the aiohttp webhook handler; :mod:`.delivery` the outbox delivery function
- :mod:`.policy` WhatsApp's 24-hour window and the monthly SMS budget (pure)
- :mod:`.report` segments of every plain response of domain.yml

This package imports nothing on its own, so ``bot.settings`` can use :mod:`.phone` cheaply.
"""
