"""A class in a video call: a shared call's frames, seats in the gallery, the lesson's record and what is
read of it, the store of lessons, the report, and photos and recorded lessons analysed the same way."""
