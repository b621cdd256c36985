// Node counts per label of the MISHON graph (read from the count store).
RETURN COUNT { (:User) } AS User, COUNT { (:Video) } AS Video, COUNT { (:Hashtag) } AS Hashtag,
       COUNT { (:Visual) } AS Visual, COUNT { (:Acoustic) } AS Acoustic,
       COUNT { (:Textual) } AS Textual
