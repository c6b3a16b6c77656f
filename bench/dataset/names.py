"""First and last names: ~100 and ~150, with accents, particles and several origins."""

from __future__ import annotations

# Plain strings split once: a list literal of 250 names would fill five screens.
FIRST_NAMES = (  # noqa: SIM905
    "Emma Louise Olivia Elena Mila Noor Lina Nora Ella Marie Hanne Lotte Sofie Zoë Anaïs "
    "Chloé Noémie Inès Fatima Aya Yasmina Amira Sara Lisa Julie Eline Fien Lieke Jana Nina "
    "Femke Katrien An Els Griet Hilde Martine Monique Rita Christiane Maria Josée Ayşe Elif "
    "Zeynep Olga Oksana Agnieszka Mei Linh Noah Arthur Louis Liam Lucas Jules Adam Victor "
    "Finn Mathis Lars Wout Seppe Stijn Jeroen Koen Pieter Bart Tom Dirk Luc Marc Patrick Eddy "
    "Rudy André Jozef Willy Mohamed Youssef Ayoub Bilal Mehmet Emre Kerem Jérôme Théo Raphaël "
    "Mathéo Ömer Łukasz Piotr Dmytro Andrei Kwame Ibrahima Minh Wei"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Peeters|Janssens|Maes|Jacobs|Mertens|Willems|Claes|Goossens|Wouters|De Smet|Dubois|"
    "Lambert|Dupont|Martens|Hermans|Vermeulen|Pauwels|Van den Broeck|Van Damme|De Vos|"
    "De Clercq|Desmet|Declercq|Vandenberghe|Vanhoutte|Verhaeghe|Deprez|Lefebvre|Leclercq|"
    "Cools|Smets|Aerts|Bogaerts|Van Dyck|Coppens|Michiels|Segers|Verstraeten|Vervaeke|Devos|"
    "Debruyne|Vandamme|Lemmens|Van de Velde|Van Hoof|Wuyts|Vanderstraeten|D'Hondt|De Backer|"
    "Bauwens|Verbeke|Verschueren|Van Acker|Dewulf|Vercruysse|Vanneste|Dewaele|Vandewalle|"
    "Ghesquière|Lefèvre|Moreau|Renard|Gérard|Lemaire|François|El Amrani|El Idrissi|Benali|"
    "Bouzid|Ait Ouali|Yılmaz|Kaya|Demir|Şahin|Çelik|Öztürk|Nowak|Kowalski|Wiśniewski|"
    "Kovalenko|Shevchenko|Popescu|Ionescu|Nguyen|Tran|Diallo|Diop|Kabongo|Tshibanda|"
    "Van der Meulen|Van Steen|Verlinden|Timmermans|Hendrickx|Vos|Thys|Jansen|Geerts|"
    "Van Gestel|Nijs|Hofman|Mahieu|Baert|Callens|Carlier|De Meyer|Van Parys|Vanhecke|"
    "Verhelst|Vroman|Maenhout|Devriendt|Decock|Desmedt|Denys|Soete|Ryckaert|Lannoo|Ameloot|"
    "Vandecasteele|Vermeersch|Dumon|Goethals|Van Renterghem|Verschoore|Claeys|De Wilde|"
    "Schepens|Van Hulle|Vanhaelewyn|Van Herck|Van Looy|Stevens|Luyten|Daems|Van Campenhout|"
    "Vandenbussche|Ververs|Meert|Bracke|Huysmans|Cornelis|Lauwers|Van Roy"
).split("|")
